package io.edgecache.extproc.policy;

import io.edgecache.extproc.config.RoutePolicy;
import io.edgecache.extproc.http.CacheControl;
import io.edgecache.extproc.http.HeaderList;
import io.edgecache.extproc.http.HopByHop;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * The shared-cache decisions of RFC 9111: whether a request may be served from the cache
 * (§4) and whether a response may be stored (§3). Stateless; one instance serves all streams.
 */
public final class CachePolicy {

  /**
   * Statuses whose semantics this cache understands well enough to honour
   * {@code must-understand} (RFC 9111 §5.2.2.3).
   */
  private static final Set<Integer> UNDERSTOOD_STATUSES =
      Set.of(200, 203, 204, 300, 301, 302, 303, 307, 308, 404, 405, 410, 414, 451, 501);

  private final Freshness freshness;

  public CachePolicy(Freshness freshness) {
    this.freshness = freshness;
  }

  /** Decides what the cache may do for a request, before any lookup (RFC 9111 §3, §4). */
  public RequestVerdict classify(RequestFacts request) {
    if (!request.isGetOrHead()) {
      return new RequestVerdict(false, false, false, "method", null);
    }
    CacheControl cc = request.cacheControl();
    boolean mayStore = !cc.has("no-store"); // §5.2.1.5
    if (request.headers().contains("authorization")) {
      // Stored responses are never handed to a request that authenticates: the origin must
      // see its credentials. Its response may still be stored where §3.5 allows.
      return new RequestVerdict(true, false, mayStore, "request", "authorization");
    }
    boolean noCache =
        cc.has("no-cache")
            || (!request.headers().contains("cache-control")
                && containsToken(request.headers().joined("pragma"), "no-cache")); // §5.4
    if (noCache) {
      return new RequestVerdict(true, false, mayStore, "request", "no-cache");
    }
    return mayStore
        ? RequestVerdict.CACHEABLE
        : new RequestVerdict(true, true, false, null, "request-no-store");
  }

  /**
   * Decides whether a response to {@code request} may be stored by a shared cache
   * (RFC 9111 §3) and what is stored.
   */
  public StoreVerdict decide(
      RequestFacts request,
      RequestVerdict requestVerdict,
      int status,
      HeaderList responseHeaders,
      RoutePolicy route,
      Instant responseTime) {
    if (!requestVerdict.mayStore()) {
      return StoreVerdict.refuse(request.isGetOrHead() ? "request-no-store" : "method");
    }
    if (request.isHead()) {
      // A HEAD response has no body to serve a later GET with.
      return StoreVerdict.refuse("head");
    }
    if (status < 200 || status == 206 || status == 304) {
      // Interim, partial and not-modified responses are not complete representations.
      return StoreVerdict.refuse("status");
    }
    CacheControl cc = CacheControl.parse(responseHeaders.joined("cache-control"));
    if (cc.has("must-understand") && !UNDERSTOOD_STATUSES.contains(status)) {
      return StoreVerdict.refuse("must-understand"); // §5.2.2.3
    }
    if (cc.has("no-store") && !(cc.has("must-understand")
        && UNDERSTOOD_STATUSES.contains(status))) {
      return StoreVerdict.refuse("no-store"); // §5.2.2.5
    }
    if (cc.has("private")) {
      return StoreVerdict.refuse("private"); // §5.2.2.7
    }
    if (cc.has("no-cache")) {
      // Storable, but every use needs a revalidation this node does not perform yet.
      return StoreVerdict.refuse("no-cache");
    }
    if (request.headers().contains("authorization")
        && !(cc.has("public") || cc.has("s-maxage") || cc.has("must-revalidate"))) {
      return StoreVerdict.refuse("authorization"); // §3.5
    }
    boolean setsCookie = responseHeaders.contains("set-cookie");
    if (setsCookie && !route.shareResponsesWithSetCookie()) {
      return StoreVerdict.refuse("set-cookie");
    }
    String vary = responseHeaders.joined("vary");
    if (vary != null && containsToken(vary, "*")) {
      return StoreVerdict.refuse("vary-star"); // §4.1: never matches
    }
    if (!(cc.has("public")
        || Freshness.hasExplicitExpiration(responseHeaders, cc)
        || Freshness.HEURISTICALLY_CACHEABLE.contains(status))) {
      return StoreVerdict.refuse("status");
    }
    Duration lifetime = freshness.lifetime(status, responseHeaders, cc, responseTime);
    if (lifetime.isZero()) {
      // Stale on arrival; without revalidation this node could never use it.
      return StoreVerdict.refuse("stale");
    }
    Set<String> drop = HopByHop.fieldsToDrop(responseHeaders);
    HeaderList stored =
        responseHeaders.without(
            field ->
                field.name().startsWith(":")
                    || drop.contains(field.name())
                    || field.name().equals("age")
                    || field.name().equals("content-length")
                    || field.name().equals("set-cookie"));
    return StoreVerdict.store(stored, lifetime);
  }

  /** Whether a comma-separated list contains {@code token}, ignoring case and spaces. */
  static boolean containsToken(String list, String token) {
    if (list == null) {
      return false;
    }
    for (String member : list.split(",")) {
      if (member.trim().equalsIgnoreCase(token)) {
        return true;
      }
    }
    return false;
  }
}
