package io.edgecache.extproc.config;

import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.http.UnkeyedRequestHeaders;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The cache policy of one route: which requests it covers and how they are cached.
 *
 * @param host "*" or an exact host name (port ignored, case-insensitive)
 * @param pathPrefix the path prefix the route covers
 * @param mode how far the origin's caching headers are followed
 * @param defaultTtl freshness for responses without explicit freshness (respect-origin), or for
 *     every storable response (cache-everything); zero for none
 * @param maxTtl cap on any freshness lifetime; zero for no cap
 * @param query how the query string enters the key
 * @param cookies whether request cookies bypass the cache
 * @param keyHeaders request fields added to the key (lower case), e.g. a device class
 * @param normalizeHeaders request fields normalised before Vary matching (lower case)
 * @param staleWhileRevalidate grace for serving stale while refreshing, when the origin sends
 *     no stale-while-revalidate
 * @param staleIfError grace for serving stale on origin errors, when the origin sends no
 *     stale-if-error
 * @param maxObjectBytes bodies larger than this pass through unrecorded; zero means the node's
 *     limit
 * @param negativeTtls freshness for error statuses without explicit freshness (404, 410, 5xx),
 *     none by default
 * @param shareResponsesWithSetCookie whether a response carrying Set-Cookie may be stored; the
 *     stored copy never keeps the Set-Cookie field, so one client's cookie never reaches another
 * @param purgeRequests whether an HTTP {@code PURGE} request on this route purges its URL on
 *     every node (through the control plane, which authenticates its Authorization field)
 * @param cacheEverythingWithCredentials whether cache-everything also applies to requests
 *     carrying Authorization or a (not ignored) Cookie; off, such requests follow RFC 9111
 * @param storeResponsesToCookieRequests whether a response to a request with a (not ignored)
 *     Cookie may be stored without being explicitly {@code public} or carrying
 *     {@code s-maxage}; off, a personal page without Cache-Control is never shared
 * @param stripHeaders request fields removed before the origin on cacheable requests (lower
 *     case): inputs the origin may reflect that are not in the key; a field also in
 *     {@code keyHeaders} is keyed instead
 * @param forwardExcludedQuery whether query parameters left out of the key still reach the
 *     origin; off, the origin sees only what the key holds
 * @param storeSetCookie whether a shared response keeps its Set-Cookie lines in the cache, so
 *     every hit replays them to every client; only for cookies that are the same for everyone
 *     (a consent or A/B bucket cookie), and only with {@code shareResponsesWithSetCookie}
 */
public record RoutePolicy(
    String host,
    String pathPrefix,
    Mode mode,
    Duration defaultTtl,
    Duration maxTtl,
    QueryKeyPolicy query,
    CookiePolicy cookies,
    List<String> keyHeaders,
    List<String> normalizeHeaders,
    Duration staleWhileRevalidate,
    Duration staleIfError,
    long maxObjectBytes,
    Map<Integer, Duration> negativeTtls,
    boolean shareResponsesWithSetCookie,
    boolean purgeRequests,
    boolean cacheEverythingWithCredentials,
    boolean storeResponsesToCookieRequests,
    List<String> stripHeaders,
    boolean forwardExcludedQuery,
    boolean storeSetCookie) {

  /** How a route treats the origin's caching headers. */
  public enum Mode {
    /** RFC 9111 as the origin's headers say; defaultTtl only fills a missing lifetime. */
    RESPECT_ORIGIN,
    /** Every storable response is fresh for defaultTtl, whatever its freshness headers say. */
    CACHE_EVERYTHING,
    /** Never served from or stored in the cache. */
    BYPASS
  }

  /** The request fields a route strips unless it says otherwise. */
  public static final List<String> DEFAULT_STRIP_HEADERS = UnkeyedRequestHeaders.DEFAULT_STRIP;

  /** The policy for requests no configured route covers: RFC 9111 with no extras. */
  public static final RoutePolicy DEFAULT = builder().build();

  public RoutePolicy {
    keyHeaders = List.copyOf(keyHeaders);
    normalizeHeaders = List.copyOf(normalizeHeaders);
    negativeTtls = Map.copyOf(negativeTtls);
    stripHeaders = List.copyOf(stripHeaders);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this policy's fields. */
  public Builder toBuilder() {
    return new Builder().host(host).pathPrefix(pathPrefix).mode(mode).defaultTtl(defaultTtl)
        .maxTtl(maxTtl).query(query).cookies(cookies).keyHeaders(keyHeaders)
        .normalizeHeaders(normalizeHeaders).staleWhileRevalidate(staleWhileRevalidate)
        .staleIfError(staleIfError).maxObjectBytes(maxObjectBytes).negativeTtls(negativeTtls)
        .shareResponsesWithSetCookie(shareResponsesWithSetCookie).purgeRequests(purgeRequests)
        .cacheEverythingWithCredentials(cacheEverythingWithCredentials)
        .storeResponsesToCookieRequests(storeResponsesToCookieRequests)
        .stripHeaders(stripHeaders).forwardExcludedQuery(forwardExcludedQuery)
        .storeSetCookie(storeSetCookie);
  }

  /** Whether this route covers a request for {@code hostWithoutPort} and {@code path}. */
  public boolean covers(String hostWithoutPort, String path) {
    return (host.equals("*") || host.equalsIgnoreCase(hostWithoutPort))
        && path.startsWith(pathPrefix);
  }

  /**
   * Whether {@code requestHeaders} carry credentials: Authorization, or a cookie this route
   * does not ignore.
   */
  public boolean hasCredentials(HeaderList requestHeaders) {
    return requestHeaders.contains("authorization") || cookies.hasPersonalCookie(requestHeaders);
  }

  /** The host part of an authority, lower-cased, without port. */
  public static String hostOf(String authority) {
    String host = authority;
    if (host.startsWith("[")) {
      int close = host.indexOf(']');
      host = close < 0 ? host : host.substring(0, close + 1);
    } else {
      int colon = host.lastIndexOf(':');
      host = colon < 0 ? host : host.substring(0, colon);
    }
    return host.toLowerCase(Locale.ROOT);
  }

  /** Builds a policy; unset fields keep the safe defaults. */
  public static final class Builder {
    private String host = "*";
    private String pathPrefix = "/";
    private Mode mode = Mode.RESPECT_ORIGIN;
    private Duration defaultTtl = Duration.ZERO;
    private Duration maxTtl = Duration.ZERO;
    private QueryKeyPolicy query = QueryKeyPolicy.KEEP;
    private CookiePolicy cookies = CookiePolicy.IGNORE_COOKIES;
    private List<String> keyHeaders = List.of();
    private List<String> normalizeHeaders = List.of();
    private Duration staleWhileRevalidate = Duration.ZERO;
    private Duration staleIfError = Duration.ZERO;
    private long maxObjectBytes;
    private Map<Integer, Duration> negativeTtls = Map.of();
    private boolean shareResponsesWithSetCookie;
    private boolean purgeRequests;
    private boolean cacheEverythingWithCredentials;
    private boolean storeResponsesToCookieRequests;
    private List<String> stripHeaders = DEFAULT_STRIP_HEADERS;
    private boolean forwardExcludedQuery;
    private boolean storeSetCookie;

    private Builder() {}

    public Builder host(String value) {
      host = value;
      return this;
    }

    public Builder pathPrefix(String value) {
      pathPrefix = value;
      return this;
    }

    public Builder mode(Mode value) {
      mode = value;
      return this;
    }

    public Builder defaultTtl(Duration value) {
      defaultTtl = value;
      return this;
    }

    public Builder maxTtl(Duration value) {
      maxTtl = value;
      return this;
    }

    public Builder query(QueryKeyPolicy value) {
      query = value;
      return this;
    }

    public Builder cookies(CookiePolicy value) {
      cookies = value;
      return this;
    }

    public Builder keyHeaders(List<String> value) {
      keyHeaders = value;
      return this;
    }

    public Builder normalizeHeaders(List<String> value) {
      normalizeHeaders = value;
      return this;
    }

    public Builder staleWhileRevalidate(Duration value) {
      staleWhileRevalidate = value;
      return this;
    }

    public Builder staleIfError(Duration value) {
      staleIfError = value;
      return this;
    }

    public Builder maxObjectBytes(long value) {
      maxObjectBytes = value;
      return this;
    }

    public Builder negativeTtls(Map<Integer, Duration> value) {
      negativeTtls = value;
      return this;
    }

    public Builder shareResponsesWithSetCookie(boolean value) {
      shareResponsesWithSetCookie = value;
      return this;
    }

    public Builder purgeRequests(boolean value) {
      purgeRequests = value;
      return this;
    }

    public Builder cacheEverythingWithCredentials(boolean value) {
      cacheEverythingWithCredentials = value;
      return this;
    }

    public Builder storeResponsesToCookieRequests(boolean value) {
      storeResponsesToCookieRequests = value;
      return this;
    }

    public Builder stripHeaders(List<String> value) {
      stripHeaders = value;
      return this;
    }

    public Builder forwardExcludedQuery(boolean value) {
      forwardExcludedQuery = value;
      return this;
    }

    public Builder storeSetCookie(boolean value) {
      storeSetCookie = value;
      return this;
    }

    public RoutePolicy build() {
      return new RoutePolicy(host, pathPrefix, mode, defaultTtl, maxTtl, query, cookies,
          keyHeaders, normalizeHeaders, staleWhileRevalidate, staleIfError, maxObjectBytes,
          negativeTtls, shareResponsesWithSetCookie, purgeRequests,
          cacheEverythingWithCredentials, storeResponsesToCookieRequests, stripHeaders,
          forwardExcludedQuery, storeSetCookie);
    }
  }
}
