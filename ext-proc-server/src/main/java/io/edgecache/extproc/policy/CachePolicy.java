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
import io.edgecache.extproc.policy.ReuseVerdict.Action;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The shared-cache decisions of RFC 9111 (with RFC 5861 stale extensions and RFC 9213 targeted
 * fields): whether a request may use the cache (§4), whether a response may be stored (§3) and
 * what a stored response may be used for. Stateless; one instance serves all streams.
 */
public final class CachePolicy {

  /**
   * Statuses whose semantics this cache understands well enough to honour
   * {@code must-understand} (RFC 9111 §5.2.2.3).
   */
  private static final Set<Integer> UNDERSTOOD_STATUSES =
      Set.of(200, 203, 204, 300, 301, 302, 303, 307, 308, 404, 405, 410, 414, 451, 501);

  private static final String CDN_CACHE_CONTROL = "cdn-cache-control";

  private final Freshness freshness;
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
    this.freshness = freshness;
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
        lifetime(request, status, responseHeaders, directives, route, responseTime);
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
    CacheControl cc = request.cacheControl();
    Duration age = entry.currentAge(now);
    Duration ttl = entry.timeToLive(now);
    boolean fresh = ttl.compareTo(Duration.ZERO) > 0;
    boolean freshImmutable = fresh && entry.rules().immutable();
    if (entry.rules().alwaysRevalidate()) {
      return new ReuseVerdict(Action.REVALIDATE, "stale", "no-cache"); // §5.2.2.4
    }
    if (!freshImmutable) {
      if (request.backgroundRefresh()) {
        return new ReuseVerdict(Action.REVALIDATE, "stale", "background-refresh");
      }
      boolean pragmaNoCache = !request.headers().contains("cache-control")
          && containsToken(request.headers().joined("pragma"), "no-cache"); // §5.4
      if (cc.has("no-cache") || pragmaNoCache) {
        return new ReuseVerdict(Action.REVALIDATE, "request", "no-cache"); // §5.2.1.4
      }
      Long maxAge = cc.seconds("max-age");
      if (maxAge != null && age.getSeconds() > maxAge) {
        return new ReuseVerdict(Action.REVALIDATE, "request", "max-age"); // §5.2.1.1
      }
    }
    Long minFresh = cc.seconds("min-fresh");
    if (minFresh != null && ttl.getSeconds() < minFresh) {
      return new ReuseVerdict(Action.REVALIDATE, "request", "min-fresh"); // §5.2.1.3
    }
    if (fresh) {
      return ReuseVerdict.FRESH;
    }
    Duration staleness = ttl.negated();
    if (!entry.rules().mustRevalidate()) {
      Long maxStale = cc.seconds("max-stale");
      if (maxStale != null
          && (maxStale == CacheControl.INVALID || staleness.getSeconds() <= maxStale)) {
        return new ReuseVerdict(Action.SERVE, null, "max-stale"); // §5.2.1.2
      }
      if (staleness.compareTo(entry.rules().staleWhileRevalidate()) <= 0) {
        return new ReuseVerdict(
            Action.SERVE_STALE_AND_REFRESH, "stale", "stale-while-revalidate"); // RFC 5861 §3
      }
    }
    return new ReuseVerdict(Action.REVALIDATE, "stale", null);
  }

  /**
   * Whether a stale {@code entry} may answer in place of an origin error (RFC 5861 §4): within
   * its stale-if-error window and without must-revalidate.
   */
  public boolean mayServeOnError(CachedResponse entry, Instant now) {
    Duration staleness = entry.timeToLive(now).negated();
    return !entry.rules().mustRevalidate()
        && staleness.compareTo(entry.rules().staleIfError()) <= 0;
  }

  /**
   * The statuses a route's defaultTtl is given to (by cache-everything always, else when the
   * origin gives no lifetime): RFC 9110's heuristically cacheable ones but 405, 414 and 501,
   * which a request alone provokes (a method, a long URI, a coding), like the 400, 431 and 5xx
   * left out too. Given to those, one request carrying something the key does not hold (an
   * oversized header, an ignored query) would have every client served the error for the whole
   * TTL; they are stored only as the origin's freshness or a route's negativeTtl says.
   */
  private static final Set<Integer> DEFAULT_TTL_STATUSES =
      Set.of(200, 203, 204, 206, 300, 301, 308, 404, 410);

  /**
   * The freshness lifetime under the route's policy, or null when the response is not
   * cacheable at all (RFC 9111 §3: no explicit freshness, status not cacheable by default).
   * Cache-everything does not cover a request with credentials unless the route opts in.
   */
  private Duration lifetime(RequestFacts request, int status, HeaderList headers,
      Directives directives, RoutePolicy route, Instant responseTime) {
    CacheControl cc = directives.cacheControl();
    Duration lifetime;
    if (route.mode() == RoutePolicy.Mode.CACHE_EVERYTHING && !route.defaultTtl().isZero()
        && DEFAULT_TTL_STATUSES.contains(status)
        && (route.cacheEverythingWithCredentials() || !route.hasCredentials(request.headers()))) {
      lifetime = route.defaultTtl();
    } else if (Freshness.hasExplicitExpiration(headers, cc, directives.targeted())) {
      lifetime = freshness.lifetime(status, headers, cc, directives.targeted(), responseTime);
    } else if (route.negativeTtls().containsKey(status)) {
      lifetime = route.negativeTtls().get(status);
    } else if (cc.has("public") || Freshness.HEURISTICALLY_CACHEABLE.contains(status)) {
      lifetime = freshness.lifetime(status, headers, cc, directives.targeted(), responseTime);
      if (lifetime.isZero() && !route.defaultTtl().isZero()
          && DEFAULT_TTL_STATUSES.contains(status)) {
        lifetime = route.defaultTtl();
      }
    } else {
      return null;
    }
    if (!route.maxTtl().isZero() && lifetime.compareTo(route.maxTtl()) > 0) {
      lifetime = route.maxTtl();
    }
    return lifetime;
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
