package io.edgecache.bench.micro;

import io.edgecache.bench.extproc.ExtProcClient;
import io.edgecache.bench.extproc.ExtProcTarget;
import io.edgecache.bench.extproc.Scenario;
import io.edgecache.extproc.ExtProcServer;
import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.telemetry.Telemetry;
import io.opentelemetry.exporter.prometheus.PrometheusMetricReader;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One 1 KiB cache hit over a real gRPC stream (the ext_proc server and an Envoy-like client in
 * one JVM), with tracing off and with tracing on at 10 % sampling (spans exported in batches
 * to an exporter that drops them, so the figure is the cost inside the cache node).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TracingCostBenchmarks {

  @Param({"off", "10%"})
  public String tracing;

  private ExtProcServer server;
  private ExtProcClient client;
  private ExtProcTarget hit;

  @Setup(Level.Trial)
  public void start() throws Exception {
    Telemetry telemetry = tracing.equals("off") ? Telemetry.disabled() : sampled(0.1);
    server = ExtProcServer.start(ServerConfig.defaults()
            .withListen(new InetSocketAddress("127.0.0.1", 0)).withAdminListen(null),
        Clock.systemUTC(), telemetry, "bench");
    client = ExtProcClient.connect("127.0.0.1", server.port());
    hit = new ExtProcTarget(client, new Scenario(Scenario.Kind.HIT, 1024));
    once(); // the first exchange stores the entry; every later one is a hit
  }

  @TearDown(Level.Trial)
  public void stop() throws Exception {
    client.close();
    server.close();
  }

  @Benchmark
  public boolean hit() throws Exception {
    return once();
  }

  private boolean once() throws Exception {
    CompletableFuture<Boolean> done = new CompletableFuture<>();
    hit.issue(done::complete);
    return done.get(10, TimeUnit.SECONDS);
  }

  private static Telemetry sampled(double ratio) {
    PrometheusMetricReader prometheus = new PrometheusMetricReader(false, null);
    OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder()
            .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(ratio)))
            .addSpanProcessor(BatchSpanProcessor.builder(new DroppingExporter()).build())
            .build())
        .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(prometheus).build())
        .build();
    return Telemetry.of(sdk, prometheus);
  }

  /** Accepts spans and throws them away: the benchmark measures recording, not shipping. */
  private static final class DroppingExporter implements SpanExporter {
    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }
}
