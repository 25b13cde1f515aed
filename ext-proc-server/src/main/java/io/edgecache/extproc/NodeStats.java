package io.edgecache.extproc;

import io.edgecache.extproc.telemetry.CacheMetrics;
import io.edgecache.extproc.telemetry.Outcome;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
    stats.put("collapsing", Map.of(
        "waiting", node.coalescer().waitingNow(),
        "followers", node.coalescer().followersTotal(),
        "timeouts", metrics.collapseTimeouts()));
    stats.put("refreshesStarted",
        node.refresher() == null ? 0 : node.refresher().startedTotal());
    stats.put("tiers", List.of(Map.of(
        "name", "l1",
        "healthy", true,
        "bytes", node.store().weightedSize(),
        "maxBytes", node.config().l1MaxBytes())));
    return stats;
  }
}
