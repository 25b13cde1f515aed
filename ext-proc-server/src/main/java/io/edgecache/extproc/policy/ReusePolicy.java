package io.edgecache.extproc.policy;

import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.fields.CacheControl;
import io.edgecache.extproc.policy.ReuseVerdict.Action;
import java.time.Duration;
import java.time.Instant;

/**
 * What a stored response may be used for, given the request and its age (httpclient5-cache's
 * {@code CacheSuitability}): served as it is, served stale while it is refreshed, or sent to the
 * origin to be revalidated first. Stateless; {@link CachePolicy} is its public face.
 */
final class ReusePolicy {
  private ReusePolicy() {}

  /**
   * What a request may do with the stored response selected for it (RFC 9111 §4.2, §4.3,
   * §5.2.1; RFC 5861; RFC 8246).
   */
  static ReuseVerdict reuse(RequestFacts request, CachedResponse entry, Instant now) {
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
          && CachePolicy.containsToken(request.headers().joined("pragma"), "no-cache"); // §5.4
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
  static boolean mayServeOnError(CachedResponse entry, Instant now) {
    Duration staleness = entry.timeToLive(now).negated();
    return !entry.rules().mustRevalidate()
        && staleness.compareTo(entry.rules().staleIfError()) <= 0;
  }
}
