package io.edgecache.extproc;

import io.edgecache.extproc.body.BodyStats;
import io.edgecache.extproc.coalesce.ClusterClaims;
import io.edgecache.extproc.config.RoutePolicy;
import io.edgecache.extproc.policy.remote.RemotePolicy;
import io.edgecache.extproc.store.TieredStore;
import io.edgecache.extproc.telemetry.CacheMetrics;
import io.edgecache.extproc.telemetry.Outcome;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** The admin port's {@code /stats} document: the figures a human wants at a glance. */
final class NodeStats {

  private final CacheNode node;
  private final String configVersion;
  private final Instant started = Instant.now();

  NodeStats(CacheNode node, String configVersion) {
    this.node = node;
    this.configVersion = configVersion;
  }

  Map<String, Object> snapshot() {
    CacheMetrics metrics = node.metrics();
    Map<String, Object> stats = new LinkedHashMap<>();
    stats.put("configVersion", configVersion);
    stats.put("uptimeSeconds", Duration.between(started, Instant.now()).getSeconds());
    Map<String, Object> requests = new LinkedHashMap<>();
    for (Outcome outcome : Outcome.values()) {
      requests.put(outcome.label(), metrics.requests(outcome));
    }
    stats.put("requests", requests);
    stats.put("hitRatio", Math.round(metrics.hitRatio() * 10_000) / 10_000.0);
    stats.put("bytes", Map.of("fromCache", metrics.bytesFromCache(),
        "fromOrigin", metrics.bytesFromOrigin()));
    Map<String, Object> collapsing = new LinkedHashMap<>();
    collapsing.put("waiting", node.coalescer().waitingNow());
    collapsing.put("followers", node.coalescer().followersTotal());
    collapsing.put("overtaken", node.coalescer().overtakenTotal());
    collapsing.put("timeouts", metrics.collapseTimeouts());
    ClusterClaims cluster = node.cluster();
    // Asked, not left to NONE: a node without cluster coordination shows no cluster figures.
    if (cluster.enabled()) {
      collapsing.put("cluster", Map.of(
          "breaker", cluster.breakerState().name(),
          "leasesWon", cluster.leasesWon(),
          "leasesLost", cluster.leasesLost(),
          "fillsReceived", cluster.fillsReceived(),
          "leaseTakeovers", cluster.leaseTakeovers(),
          "leaseRenewals", cluster.leaseRenewals(),
          "unavailable", cluster.unavailable()));
    }
    stats.put("collapsing", collapsing);
    stats.put("recordings", Map.of(
        "heldBytes", node.recordings().heldBytes(),
        "maxBytes", node.recordings().limitBytes(),
        "refused", node.recordings().refused()));
    stats.put("refreshesStarted", node.refresher().startedTotal());
    List<Map<String, Object>> tiers = new ArrayList<>();
    tiers.add(Map.of(
        "name", "l1",
        "healthy", true,
        "bytes", node.store().weightedSize(),
        "maxBytes", node.config().l1MaxBytes()));
    for (String name : TieredStore.LOWER_TIERS) {
      node.tiers().stats(name).ifPresent(tier -> {
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("name", name);
        figures.put("breaker", node.tiers().breakerState(name).orElseThrow().name());
        figures.put("hits", tier.hits());
        figures.put("misses", tier.misses());
        figures.put("errors", tier.errors());
        figures.put("corrupt", tier.corrupt());
        figures.put("writes", tier.writes());
        figures.put("shedWrites", tier.shedWrites());
        figures.put("skipped", tier.skipped());
        figures.put("bytesRead", tier.bytesRead());
        figures.put("bytesWritten", tier.bytesWritten());
        figures.put("meanCallMillis",
            tier.calls() == 0 ? 0 : tier.callNanos() / tier.calls() / 1e6);
        tiers.add(figures);
      });
    }
    stats.put("tiers", tiers);
    if (node.config().tiers().bodyListen() != null) {
      BodyStats bodies = node.bodyStats();
      stats.put("bodyEndpoint", Map.of(
          "fromDisk", bodies.servedFromDisk(),
          "fromS3", bodies.servedFromS3(),
          "missing", bodies.missingBodies(),
          "refused", bodies.refusedRequests(),
          "bytes", bodies.bytesServed()));
    }
    stats.put("policy", policies());
    if (node.config().purge().followsControlPlane()) {
      stats.put("purge", Map.of(
          "lastAppliedSeq", node.lastAppliedPurge(),
          "servingHits", node.servesHits(),
          // as edgecache.purge.stream.state labels it: following, grace or closed
          "stream", node.hitGate().state().name().toLowerCase(Locale.ROOT)));
    }
    return stats;
  }

  /**
   * The effective policy: the node's own routes (first match by host and path, else RFC 9111
   * defaults), and the control plane's route policies, whose fields override the matched route's.
   */
  private Map<String, Object> policies() {
    Map<String, Object> policy = new LinkedHashMap<>();
    policy.put("precedence", "a request uses the node's first matching route (else the defaults);"
        + " a policy the control plane attached to the request overrides its "
        + String.join(", ", PUSHED_FIELDS));
    List<Map<String, Object>> routes = new ArrayList<>();
    for (RoutePolicy route : node.config().routes()) {
      Map<String, Object> figures = new LinkedHashMap<>();
      figures.put("host", route.host());
      figures.put("pathPrefix", route.pathPrefix());
      figures.put("mode", route.mode().name().toLowerCase(Locale.ROOT).replace('_', '-'));
      figures.put("defaultTtl", route.defaultTtl().toString());
      figures.put("maxTtl", route.maxTtl().toString());
      figures.put("staleWhileRevalidate", route.staleWhileRevalidate().toString());
      figures.put("staleIfError", route.staleIfError().toString());
      figures.put("shareResponsesWithSetCookie", route.shareResponsesWithSetCookie());
      figures.put("cacheEverythingWithCredentials", route.cacheEverythingWithCredentials());
      figures.put("storeResponsesToCookieRequests", route.storeResponsesToCookieRequests());
      figures.put("stripHeaders", route.stripHeaders());
      figures.put("forwardExcludedQuery", route.forwardExcludedQuery());
      figures.put("storeSetCookie", route.storeSetCookie());
      routes.add(figures);
    }
    policy.put("nodeRoutes", routes);
    List<Map<String, Object>> pushed = new ArrayList<>();
    for (RemotePolicy remote : node.pushedPolicies().all()) {
      Map<String, Object> figures = new LinkedHashMap<>();
      figures.put("id", remote.policyId());
      figures.put("version", remote.version());
      figures.put("mode", remote.mode().name().toLowerCase(Locale.ROOT).replace('_', '-'));
      figures.put("defaultTtl", remote.defaultTtl().map(Duration::toString).orElse("unset"));
      figures.put("maxTtl", remote.maxTtl().map(Duration::toString).orElse("unset"));
      figures.put("shareResponsesWithSetCookie", remote.shareResponsesWithSetCookie());
      // "unset": an older control plane did not send the field, so the node's route decides.
      RemotePolicy.Defences defences = remote.defences();
      figures.put("cacheEverythingWithCredentials", orUnset(defences.cacheEverythingWithCredentials()));
      figures.put("storeResponsesToCookieRequests", orUnset(defences.storeResponsesToCookieRequests()));
      figures.put("stripHeaders", orUnset(defences.stripHeaders()));
      figures.put("forwardExcludedQuery", orUnset(defences.forwardExcludedQuery()));
      figures.put("storeSetCookie", orUnset(defences.storeSetCookie()));
      pushed.add(figures);
    }
    policy.put("controlPlane", pushed);
    return policy;
  }

  private static Object orUnset(Optional<?> value) {
    return value.isPresent() ? value.get() : "unset";
  }

  /** The fields {@link RemotePolicy#applyTo} takes from the control plane. */
  private static final List<String> PUSHED_FIELDS =
      List.of("mode", "defaultTtl", "maxTtl", "shareResponsesWithSetCookie", "cacheEverythingWithCredentials",
          "storeResponsesToCookieRequests", "stripHeaders", "forwardExcludedQuery", "storeSetCookie");
}
