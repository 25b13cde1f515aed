package io.edgecache.extproc.policy;

import io.edgecache.extproc.cache.CacheKey;
import io.edgecache.extproc.cache.CacheKeys;
import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.cache.RelatedTargets;
import io.edgecache.extproc.cache.ReuseRules;
import io.edgecache.extproc.config.RoutePolicy;
import io.edgecache.extproc.fields.CacheControl;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.fields.HopByHop;
import io.edgecache.extproc.fields.TargetedCacheControl;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The shared-cache decisions of RFC 9111 (with RFC 5861 stale extensions and RFC 9213 targeted
 * fields): whether a request may use the cache (§4), whether a response may be stored (§3) and
 * what a stored response may be used for. Stateless; one instance serves all streams. The
 * public face of the package's smaller policies: {@link ReusePolicy} (what a stored response may
 * be used for) and {@link RouteLifetimes} (the lifetime a route gives a stored response).
 */
public final class CachePolicy {

  /**
   * Statuses whose semantics this cache understands well enough to honour
   * {@code must-understand} (RFC 9111 §5.2.2.3).
   */
  private static final Set<Integer> UNDERSTOOD_STATUSES =
      Set.of(200, 203, 204, 300, 301, 302, 303, 307, 308, 404, 405, 410, 414, 451, 501);

  private static final String CDN_CACHE_CONTROL = "cdn-cache-control";

  private final RouteLifetimes lifetimes;
  /** The targeted fields this cache obeys, highest precedence first. */
  private final List<String> targetedFields;
  private final boolean stripTargetedFields;

  /**
   * @param freshness lifetime calculations
   * @param targetedField the edgecache-specific targeted field (lower case); it outranks
   *     CDN-Cache-Control, which outranks Cache-Control
   * @param stripTargetedFields whether targeted fields are kept from the client
   */
  public CachePolicy(Freshness freshness, String targetedField, boolean stripTargetedFields) {
    this.lifetimes = new RouteLifetimes(freshness);
    this.targetedFields = List.of(targetedField, CDN_CACHE_CONTROL);
    this.stripTargetedFields = stripTargetedFields;
  }

  /** The targeted fields this cache obeys, lower case, highest precedence first. */
  public List<String> targetedFields() {
    return targetedFields;
  }

  public boolean stripsTargetedFields() {
    return stripTargetedFields;
  }

  /** Decides what the cache may do for a request before any lookup (RFC 9111 §3, §4). */
  public RequestVerdict classify(RequestFacts request, RoutePolicy route) {
    if (route.mode() == RoutePolicy.Mode.BYPASS) {
      return RequestVerdict.bypass("route");
    }
    boolean post = request.method().equals("POST");
    if (!request.isGetOrHead() && !post) {
      return new RequestVerdict(false, false, false, "method", null);
    }
    if (route.cookies().bypasses(request.headers())) {
      return RequestVerdict.bypass("cookie");
    }
    boolean mayStore = !request.cacheControl().has("no-store"); // §5.2.1.5
    if (post) {
      // Never answered from the cache, but its response may serve later GETs (§2, §4).
      return new RequestVerdict(false, false, mayStore, "method", null);
    }
    if (request.headers().contains("authorization")) {
      // Stored responses are never handed to a request that authenticates: the origin must
      // see its credentials. Its response may still be stored where §3.5 allows.
      return new RequestVerdict(true, false, mayStore, "request", "authorization");
    }
    return mayStore
        ? RequestVerdict.CACHEABLE
        : new RequestVerdict(true, true, false, null, "request-no-store");
  }

  /**
   * The response directives this cache obeys: those of the highest-ranked targeted field
   * present with a valid Dictionary value (RFC 9213 §2.1, §2.2), else Cache-Control.
   */
  public Directives directives(HeaderList responseHeaders) {
    for (String field : targetedFields()) {
      CacheControl targeted = TargetedCacheControl.parse(responseHeaders.joined(field));
      if (targeted != null) {
        return new Directives(targeted, true);
      }
    }
    return new Directives(CacheControl.parse(responseHeaders.joined("cache-control")), false);
  }

  /** Response directives and whether they came from a targeted field. */
  public record Directives(CacheControl cacheControl, boolean targeted) {}

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
      return StoreVerdict.refuse(requestVerdict.detail() != null ? requestVerdict.detail()
          : request.isGetOrHead() ? "request-no-store" : "method");
    }
    if (request.isHead()) {
      return StoreVerdict.refuse("head"); // no body to serve a later GET with
    }
    if (status < 200 || status == 206 || status == 304) {
      return StoreVerdict.refuse("status"); // not complete representations
    }
    Directives directives = directives(responseHeaders);
    CacheControl cc = directives.cacheControl();
    if (request.method().equals("POST")
        && !(Freshness.hasExplicitExpiration(responseHeaders, cc, directives.targeted())
            && namesTarget(responseHeaders.first("content-location"), request, route))) {
      return StoreVerdict.refuse("method"); // RFC 9110 §9.3.3
    }
    boolean understood = UNDERSTOOD_STATUSES.contains(status);
    if (cc.has("must-understand") && !understood) {
      return StoreVerdict.refuse("must-understand"); // §5.2.2.3
    }
    if (cc.has("no-store") && !(cc.has("must-understand") && understood)) {
      return StoreVerdict.refuse("no-store"); // §5.2.2.5
    }
    if (cc.has("private") && cc.argument("private").isEmpty()) {
      return StoreVerdict.refuse("private"); // §5.2.2.7
    }
    if (request.headers().contains("authorization")
        && !(cc.has("public") || cc.has("s-maxage") || cc.has("must-revalidate"))) {
      return StoreVerdict.refuse("authorization"); // §3.5
    }
    if (!route.storeResponsesToCookieRequests()
        && route.cookies().hasPersonalCookie(request.headers())
        && !(cc.has("public") || cc.has("s-maxage"))) {
      return StoreVerdict.refuse("cookie"); // a personal page unless the origin says shared
    }
    // Set-Cookie2 (RFC 2965, obsolete) still sets a cookie where a client honours it.
    if ((responseHeaders.contains("set-cookie") || responseHeaders.contains("set-cookie2"))
        && !route.shareResponsesWithSetCookie()) {
      return StoreVerdict.refuse("set-cookie");
    }
    String vary = responseHeaders.joined("vary");
    if (vary != null && containsToken(vary, "*")) {
      return StoreVerdict.refuse("vary-star"); // §4.1: never matches
    }
    Duration lifetime =
        lifetimes.of(request, status, responseHeaders, directives, route, responseTime);
    if (lifetime == null) {
      return StoreVerdict.refuse("status");
    }
    boolean alwaysRevalidate = cc.has("no-cache") && cc.argument("no-cache").isEmpty();
    boolean hasValidator =
        responseHeaders.contains("etag") || responseHeaders.contains("last-modified");
    ReuseRules rules = reuseRules(cc, route, alwaysRevalidate);
    if (alwaysRevalidate && !hasValidator) {
      return StoreVerdict.refuse("no-cache"); // could never be reused
    }
    Duration initialAge =
        Freshness.correctedInitialAge(responseHeaders, request.requestTime(), responseTime);
    boolean usable =
        lifetime.plus(rules.staleAllowance()).compareTo(initialAge) > 0 || hasValidator;
    if (!usable) {
      return StoreVerdict.refuse("stale"); // stale on arrival, nothing could revive it
    }
    return StoreVerdict.store(storedHeaders(responseHeaders, cc, route), lifetime, rules, initialAge);
  }

  /**
   * What a request may do with the stored response selected for it (RFC 9111 §4.2, §4.3,
   * §5.2.1; RFC 5861; RFC 8246).
   */
  public ReuseVerdict reuse(RequestFacts request, CachedResponse entry, Instant now) {
    return ReusePolicy.reuse(request, entry, now);
  }

  /**
   * Whether a stale {@code entry} may answer in place of an origin error (RFC 5861 §4): within
   * its stale-if-error window and without must-revalidate.
   */
  public boolean mayServeOnError(CachedResponse entry, Instant now) {
    return ReusePolicy.mayServeOnError(entry, now);
  }

  /**
   * Whether a POST response's Content-Location is the request's own target, which makes it a
   * representation a later GET of that target may be given (RFC 9110 §9.3.3).
   */
  private static boolean namesTarget(String contentLocation, RequestFacts request,
      RoutePolicy route) {
    if (contentLocation == null) {
      return false;
    }
    CacheKey target = request.key();
    String pathWithQuery = RelatedTargets.sameOriginPathWithQuery(target, contentLocation);
    return pathWithQuery != null && CacheKeys.forTarget(target.scheme(), target.authority(),
        pathWithQuery, route, request.headers()).equals(target);
  }

  private static ReuseRules reuseRules(CacheControl cc, RoutePolicy route,
      boolean alwaysRevalidate) {
    return new ReuseRules(
        seconds(cc, "stale-while-revalidate", route.staleWhileRevalidate()),
        seconds(cc, "stale-if-error", route.staleIfError()),
        cc.has("must-revalidate") || cc.has("proxy-revalidate") || cc.has("s-maxage"),
        alwaysRevalidate,
        cc.has("immutable"));
  }

  /**
   * The fields to store: no hop-by-hop, Age, fields qualified directives name, nor Set-Cookie
   * unless the route explicitly stores it (then every hit hands it to every client), nor
   * Envoy's own {@code x-envoy-*} lines: its router adds x-envoy-upstream-service-time to every
   * upstream response before the filter chain (router.cc, onUpstreamHeaders), and Envoy lets no
   * processor set such a line on a hit, so a stored one could never be replayed as stored.
   */
  private HeaderList storedHeaders(HeaderList responseHeaders, CacheControl cc, RoutePolicy route) {
    Set<String> drop = HopByHop.fieldsToDrop(responseHeaders); // a fresh set, ours to extend
    drop.addAll(List.of("age", "content-length"));
    if (!route.storeSetCookie()) {
      drop.add("set-cookie");
      drop.add("set-cookie2");
    }
    drop.addAll(fieldNames(cc.argument("private"))); // §5.2.2.7 qualified form
    drop.addAll(fieldNames(cc.argument("no-cache"))); // §5.2.2.4 qualified form
    if (stripTargetedFields) {
      drop.addAll(targetedFields());
    }
    return responseHeaders.without(field -> field.name().startsWith(":")
        || field.name().startsWith("x-envoy") || drop.contains(field.name()));
  }

  private static Duration seconds(CacheControl cc, String directive, Duration fallback) {
    Long value = cc.seconds(directive);
    return value == null || value == CacheControl.INVALID ? fallback : Duration.ofSeconds(value);
  }

  private static List<String> fieldNames(String argument) {
    if (argument == null || argument.isEmpty()) {
      return List.of();
    }
    return List.of(argument.toLowerCase(Locale.ROOT).replace(" ", "").split(","));
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
