package io.edgecache.extproc.grpc;

import io.edgecache.extproc.CacheNode;
import io.edgecache.extproc.cache.CacheKeys;
import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.cache.RelatedTargets;
import io.edgecache.extproc.config.RoutePolicy;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.policy.Freshening;
import io.edgecache.extproc.policy.RequestFacts;
import io.edgecache.extproc.policy.RequestVerdict;
import io.edgecache.extproc.policy.StoreVerdict;
import io.edgecache.http.PathAndQuery;
import java.time.Instant;
import java.util.function.Predicate;

/**
 * What a forwarded response tells the store about entries other than the one being recorded:
 * a successful unsafe request invalidates (RFC 9111 §4.4), a HEAD response freshens or
 * invalidates the stored GET (§4.3.5).
 */
final class StoreUpdates {


  private StoreUpdates() {}

  /**
   * A HEAD response freshens the stored GET it matches (the variant {@code matchesVary}
   * accepts) by its validators, in its freshness fields only, or invalidates it when a
   * validator or the length differs (§4.3.5). {@code responseTime} is when {@code head} arrived.
   */
  static void freshenFromHead(CacheNode node, RequestFacts request,
      RequestVerdict requestVerdict, RoutePolicy route, Predicate<CachedResponse> matchesVary,
      HeaderList head, Instant responseTime) {
    for (CachedResponse stored : node.store().variants(request.key())) {
      if (!matchesVary.test(stored)) {
        continue;
      }
      if (!Freshening.headMatches(stored, head)) {
        node.invalidate(request.key());
        return;
      }
      if (!stored.bodyInMemory() || !Freshening.headMayFreshen(stored, head)) {
        continue; // rewritten by the next full fetch; or nothing ties the HEAD to it
      }
      HeaderList merged = Freshening.mergeFromHead(
          stored.headers(), head, node.policy().targetedFields());
      RequestFacts asGet = new RequestFacts("GET", request.key(), request.headers(),
          request.cacheControl(), request.requestTime(), false);
      StoreVerdict verdict = node.policy().decide(
          asGet, requestVerdict, stored.status(), merged, route, responseTime);
      if (verdict.storable()) {
        node.store(request.key(), Freshening.freshened(
            stored, verdict, head, request.requestTime(), responseTime));
      }
    }
  }

  /**
   * A successful unsafe request invalidates its target and same-host Location and
   * Content-Location (RFC 9111 §4.4).
   */
  static void invalidateAfterUnsafeMethod(CacheNode node, RequestFacts request,
      HeaderList response) {
    node.invalidate(request.key());
    for (String field : new String[] {"location", "content-location"}) {
      String value = response.first(field);
      String pathWithQuery =
          value == null ? null : RelatedTargets.sameOriginPathWithQuery(request.key(), value);
      if (pathWithQuery != null) {
        RoutePolicy targetRoute = node.config().routeFor(request.key().authority(),
            PathAndQuery.pathOf(pathWithQuery));
        node.invalidate(CacheKeys.forTarget(request.key().scheme(),
            request.key().authority(), pathWithQuery, targetRoute, request.headers()));
      }
    }
  }
}
