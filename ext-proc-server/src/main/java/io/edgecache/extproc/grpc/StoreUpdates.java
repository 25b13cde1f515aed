package io.edgecache.extproc.grpc;

import io.edgecache.extproc.cache.CacheKeys;
import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.cache.L1Store;
import io.edgecache.extproc.cache.RelatedTargets;
import io.edgecache.extproc.config.RoutePolicy;
import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.policy.CachePolicy;
import io.edgecache.extproc.policy.Freshening;
import io.edgecache.extproc.policy.RequestFacts;
import io.edgecache.extproc.policy.RequestVerdict;
import io.edgecache.extproc.policy.StoreVerdict;
import io.edgecache.extproc.store.TieredStore;
import io.edgecache.http.PathAndQuery;
import java.time.Instant;
import java.util.function.Predicate;

/**
 * What a forwarded response tells the store about entries other than the one being recorded:
 * a successful unsafe request invalidates (RFC 9111 §4.4), a HEAD response freshens or
 * invalidates the stored GET (§4.3.5). Holds no exchange's state: one serves every exchange.
 */
final class StoreUpdates {

  /** Where the stored variants are read. */
  private final L1Store memory;
  /** Where entries are freshened or invalidated, in every tier. */
  private final TieredStore tiers;
  private final CachePolicy policy;
  /** The routes of related targets. */
  private final ServerConfig config;

  StoreUpdates(L1Store memory, TieredStore tiers, CachePolicy policy, ServerConfig config) {
    this.memory = memory;
    this.tiers = tiers;
    this.policy = policy;
    this.config = config;
  }

  /**
   * A HEAD response freshens the stored GET it matches (the variant {@code matchesVary}
   * accepts) by its validators, in its freshness fields only, or invalidates it when a
   * validator or the length differs (§4.3.5). {@code responseTime} is when {@code head} arrived.
   */
  void freshenFromHead(RequestFacts request,
      RequestVerdict requestVerdict, RoutePolicy route, Predicate<CachedResponse> matchesVary,
      HeaderList head, Instant responseTime) {
    for (CachedResponse stored : memory.variants(request.key())) {
      if (!matchesVary.test(stored)) {
        continue;
      }
      if (!Freshening.headMatches(stored, head)) {
        tiers.invalidate(request.key());
        return;
      }
      if (!stored.bodyInMemory() || !Freshening.headMayFreshen(stored, head)) {
        continue; // rewritten by the next full fetch; or nothing ties the HEAD to it
      }
      HeaderList merged = Freshening.mergeFromHead(
          stored.headers(), head, policy.targetedFields());
      RequestFacts asGet = new RequestFacts("GET", request.key(), request.headers(),
          request.cacheControl(), request.requestTime(), false);
      StoreVerdict verdict = policy.decide(
          asGet, requestVerdict, stored.status(), merged, route, responseTime);
      if (verdict.storable()) {
        tiers.store(request.key(), Freshening.freshened(
            stored, verdict, head, request.requestTime(), responseTime));
      }
    }
  }

  /**
   * A successful unsafe request invalidates its target and same-host Location and
   * Content-Location (RFC 9111 §4.4).
   */
  void invalidateAfterUnsafeMethod(RequestFacts request, HeaderList response) {
    tiers.invalidate(request.key());
    for (String field : new String[] {"location", "content-location"}) {
      String value = response.first(field);
      String pathWithQuery =
          value == null ? null : RelatedTargets.sameOriginPathWithQuery(request.key(), value);
      if (pathWithQuery != null) {
        RoutePolicy targetRoute = config.routeFor(request.key().authority(),
            PathAndQuery.pathOf(pathWithQuery));
        tiers.invalidate(CacheKeys.forTarget(request.key().scheme(),
            request.key().authority(), pathWithQuery, targetRoute, request.headers()));
      }
    }
  }
}
