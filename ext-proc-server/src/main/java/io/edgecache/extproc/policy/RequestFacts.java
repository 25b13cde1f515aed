package io.edgecache.extproc.policy;

import io.edgecache.extproc.cache.CacheKey;
import io.edgecache.extproc.fields.CacheControl;
import io.edgecache.extproc.fields.HeaderList;
import java.time.Instant;
import java.util.Set;

/**
 * What the cache knows about a request when its headers arrive.
 *
 * @param method the request method
 * @param key the primary cache key
 * @param headers the request's header fields (pseudo-headers included)
 * @param cacheControl the parsed request Cache-Control
 * @param requestTime when the request reached the cache, the {@code request_time} of RFC 9111
 *     §4.2.3
 * @param backgroundRefresh whether this is the cache's own refresh of a stale entry
 */
public record RequestFacts(
    String method,
    CacheKey key,
    HeaderList headers,
    CacheControl cacheControl,
    Instant requestTime,
    boolean backgroundRefresh) {

  /** The fields that make a request conditional (RFC 9110 §13.1). */
  private static final Set<String> PRECONDITIONS = Set.of(
      "if-none-match", "if-modified-since", "if-match", "if-unmodified-since", "if-range");

  public static RequestFacts of(String method, CacheKey key, HeaderList headers, Instant now) {
    return new RequestFacts(
        method, key, headers, CacheControl.parse(headers.joined("cache-control")), now, false);
  }

  public RequestFacts asBackgroundRefresh() {
    return new RequestFacts(method, key, headers, cacheControl, requestTime, true);
  }

  public boolean isHead() {
    return method.equals("HEAD");
  }

  public boolean isGetOrHead() {
    return method.equals("GET") || method.equals("HEAD");
  }

  /**
   * Whether the method is safe (RFC 9110 §9.2.1: GET, HEAD, OPTIONS, TRACE); a method whose
   * safety is unknown counts as unsafe (RFC 9111 §4.4).
   */
  public boolean isSafe() {
    return isGetOrHead() || method.equals("OPTIONS") || method.equals("TRACE");
  }

  /** Whether the client made the request conditional itself (RFC 9110 §13.1). */
  public boolean isConditional() {
    return headers.containsAny(PRECONDITIONS); // one pass: asked several times per request
  }

}
