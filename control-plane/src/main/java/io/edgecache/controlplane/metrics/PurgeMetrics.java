package io.edgecache.controlplane.metrics;

import io.edgecache.controlplane.purge.PurgeCoordinator;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.Meter;
import java.util.List;

/**
 * Purge coordination figures: per node, whether its purge stream is connected
 * ({@code edgecache.purge.node.connected}) and how many logged purges it has not applied
 * ({@code edgecache.purge.node.behind}); and the purge lag, submit to the last connected node's
 * ack, as a histogram ({@code edgecache.purge.lag}, seconds).
 */
public final class PurgeMetrics {

  private static final AttributeKey<String> NODE = AttributeKey.stringKey("node");
  /** From a fleet on one machine (milliseconds) to nodes that were down through a restart. */
  private static final List<Double> LAG_BUCKETS =
      List.of(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0);

  private PurgeMetrics() {}

  public static void register(Meter meter, PurgeCoordinator coordinator) {
    meter.gaugeBuilder("edgecache.purge.node.connected").ofLongs()
        .setDescription("1 while the node's purge stream is connected, else 0")
        .buildWithCallback(measurement -> coordinator.nodeProgress().forEach(node ->
            measurement.record(node.connected() ? 1 : 0, Attributes.of(NODE, node.nodeId()))));
    meter.gaugeBuilder("edgecache.purge.node.behind").ofLongs()
        .setDescription("Logged purges the node has not acknowledged")
        .buildWithCallback(measurement -> {
          long last = coordinator.lastSeq();
          coordinator.nodeProgress().forEach(node -> measurement.record(
              Math.max(0, last - node.lastApplied()), Attributes.of(NODE, node.nodeId())));
        });
    DoubleHistogram lag = meter.histogramBuilder("edgecache.purge.lag").setUnit("s")
        .setDescription("Time from a purge's submission to the last connected node's ack")
        .setExplicitBucketBoundariesAdvice(LAG_BUCKETS)
        .build();
    coordinator.onPurgeLag(millis -> lag.record(millis / 1000.0));
  }
}
