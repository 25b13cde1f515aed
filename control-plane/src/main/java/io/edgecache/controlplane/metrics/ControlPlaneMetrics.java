package io.edgecache.controlplane.metrics;

import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.exporter.prometheus.PrometheusMetricReader;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The control plane's figures through OpenTelemetry, scraped as Prometheus text: xDS streams
 * connected, responses pushed, ACKs and NACKs, and configuration reloads accepted or rejected.
 * Registered as a discovery-server callback, so it sees every stream as java-control-plane
 * handles it.
 */
public final class ControlPlaneMetrics implements DiscoveryServerCallbacks, AutoCloseable {

  private static final AttributeKey<String> RESULT = AttributeKey.stringKey("result");

  private final LongAdder streamsOpen = new LongAdder();
  private final LongAdder pushes = new LongAdder();
  private final LongAdder acks = new LongAdder();
  private final LongAdder nacks = new LongAdder();
  private final LongAdder reloadsAccepted = new LongAdder();
  private final LongAdder reloadsRejected = new LongAdder();
  private final AtomicLong snapshotVersion = new AtomicLong();
  private final PrometheusMetricReader prometheus = new PrometheusMetricReader(false, null);
  private final SdkMeterProvider meters = SdkMeterProvider.builder()
      .setResource(ServiceResource.fromEnvironment(System.getenv()))
      .registerMetricReader(prometheus)
      .build();
  private final Meter meter = meters.get("io.edgecache.controlplane");

  public ControlPlaneMetrics() {
    meter.upDownCounterBuilder("edgecache.xds.streams")
        .setDescription("xDS streams open (connected Envoys and local-edges)")
        .buildWithCallback(m -> m.record(streamsOpen.sum()));
    meter.counterBuilder("edgecache.xds.pushes")
        .setDescription("xDS responses sent to nodes")
        .buildWithCallback(m -> m.record(pushes.sum()));
    meter.counterBuilder("edgecache.xds.acks")
        .setDescription("Requests acknowledging a version (ACK)")
        .buildWithCallback(m -> m.record(acks.sum()));
    meter.counterBuilder("edgecache.xds.nacks")
        .setDescription("Requests rejecting a version (NACK)")
        .buildWithCallback(m -> m.record(nacks.sum()));
    meter.counterBuilder("edgecache.config.reloads")
        .setDescription("Configuration reloads, by result")
        .buildWithCallback(m -> {
          m.record(reloadsAccepted.sum(), Attributes.of(RESULT, "accepted"));
          m.record(reloadsRejected.sum(), Attributes.of(RESULT, "rejected"));
        });
    meter.gaugeBuilder("edgecache.config.version").ofLongs()
        .setDescription("The snapshot version being served")
        .buildWithCallback(m -> m.record(snapshotVersion.get()));
  }

  /** Where other parts of the control plane register their instruments. */
  public Meter meter() {
    return meter;
  }

  /** A reload finished; {@code version} is the one now served. */
  public void reloaded(boolean accepted, String version) {
    (accepted ? reloadsAccepted : reloadsRejected).increment();
    versionServed(version);
  }

  public void versionServed(String version) {
    try {
      snapshotVersion.set(Long.parseLong(version));
    } catch (NumberFormatException e) {
      // versions are counters today; a non-numeric one simply is not reported
    }
  }

  @Override
  public void onStreamOpen(long streamId, String typeUrl) {
    streamsOpen.increment();
  }

  @Override
  public void onStreamClose(long streamId, String typeUrl) {
    streamsOpen.decrement();
  }

  @Override
  public void onStreamCloseWithError(long streamId, String typeUrl, Throwable error) {
    streamsOpen.decrement();
  }

  @Override
  public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
    count(request.hasErrorDetail(), !request.getResponseNonce().isEmpty());
  }

  @Override
  public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
    count(request.hasErrorDetail(), !request.getResponseNonce().isEmpty());
  }

  @Override
  public void onV3StreamResponse(long streamId, DiscoveryRequest request,
      DiscoveryResponse response) {
    pushes.increment();
  }

  @Override
  public void onV3StreamDeltaResponse(long streamId, DeltaDiscoveryRequest request,
      DeltaDiscoveryResponse response) {
    pushes.increment();
  }

  /** A request with a nonce answers a response: an ACK, or a NACK when it carries an error. */
  private void count(boolean error, boolean answersResponse) {
    if (error) {
      nacks.increment();
    } else if (answersResponse) {
      acks.increment();
    }
  }

  public long nacks() {
    return nacks.sum();
  }

  /** The current figures in Prometheus text format. */
  public void writePrometheus(OutputStream out) throws IOException {
    new PrometheusTextFormatWriter(false).write(out, prometheus.collect());
  }

  @Override
  public void close() {
    meters.close();
  }
}
