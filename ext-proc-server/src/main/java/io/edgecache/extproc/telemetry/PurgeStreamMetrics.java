package io.edgecache.extproc.telemetry;

import io.edgecache.extproc.purge.HitGate;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.Meter;
import java.util.Locale;

/**
 * The node's side of the purge stream, read from its {@link HitGate} at collection time:
 * {@code edgecache.purge.stream.state} (1 for the state the node is in: following, grace or
 * closed) and {@code edgecache.purge.grace.seconds} (how long hits have been served with the
 * stream down; 0 outside the grace).
 */
public final class PurgeStreamMetrics {

  private static final AttributeKey<String> STATE = AttributeKey.stringKey("state");

  private PurgeStreamMetrics() {}

  public static void register(Meter meter, HitGate gate) {
    meter.gaugeBuilder("edgecache.purge.stream.state").ofLongs()
        .setDescription("1 for the node's purge-stream state (following, grace, closed), else 0")
        .buildWithCallback(measurement -> {
          HitGate.State now = gate.state();
          for (HitGate.State state : HitGate.State.values()) {
            measurement.record(state == now ? 1 : 0,
                Attributes.of(STATE, state.name().toLowerCase(Locale.ROOT)));
          }
        });
    meter.gaugeBuilder("edgecache.purge.grace.seconds").setUnit("s")
        .setDescription("Seconds the node has served hits with its purge stream down (0: not on grace)")
        .buildWithCallback(measurement -> measurement.record(gate.secondsInGrace()));
  }
}
