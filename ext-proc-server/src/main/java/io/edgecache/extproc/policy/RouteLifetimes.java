package io.edgecache.extproc.policy;

import io.edgecache.extproc.config.RoutePolicy;
import io.edgecache.extproc.fields.CacheControl;
import io.edgecache.extproc.fields.HeaderList;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * The freshness lifetime a storable response is given under its route's policy: the route's
 * defaultTtl, the origin's explicit or heuristic freshness, or a negativeTtl, capped by maxTtl.
 * Stateless beyond the {@link Freshness} calculations it uses.
 */
final class RouteLifetimes {
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

  private final Freshness freshness;

  RouteLifetimes(Freshness freshness) {
    this.freshness = freshness;
  }

  /**
   * The freshness lifetime under the route's policy, or null when the response is not
   * cacheable at all (RFC 9111 §3: no explicit freshness, status not cacheable by default).
   * Cache-everything does not cover a request with credentials unless the route opts in.
   */
  Duration of(RequestFacts request, int status, HeaderList headers,
      CachePolicy.Directives directives, RoutePolicy route, Instant responseTime) {
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
}
