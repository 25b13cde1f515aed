package io.edgecache.extproc.telemetry;

import io.edgecache.extproc.cache.CacheKey;
import io.edgecache.extproc.fields.HeaderList;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.exporter.prometheus.PrometheusMetricReader;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * OpenTelemetry for the cache node: traces (continuing the request's W3C or B3 context),
 * metrics (OTLP when configured, always a Prometheus scrape), all set by the standard
 * {@code OTEL_*} variables. Traces are off unless a traces exporter is configured
 * ({@code OTEL_TRACES_EXPORTER=otlp}); the sampler is {@code OTEL_TRACES_SAMPLER}
 * (e.g. {@code parentbased_traceidratio} with {@code OTEL_TRACES_SAMPLER_ARG=0.1}).
 */
public final class Telemetry implements AutoCloseable {

  private static final String INSTRUMENTATION = "io.edgecache.extproc";
  private static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
  private static final AttributeKey<String> SCHEME = AttributeKey.stringKey("url.scheme");
  private static final AttributeKey<String> HOST = AttributeKey.stringKey("server.address");
  private static final AttributeKey<String> PATH = AttributeKey.stringKey("url.path");

  private static final TextMapGetter<HeaderList> HEADERS = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(HeaderList carrier) {
      List<String> names = new ArrayList<>();
      carrier.fields().forEach(field -> names.add(field.name()));
      return names;
    }

    @Override
    public String get(HeaderList carrier, String key) {
      return carrier == null ? null : carrier.first(key);
    }
  };

  private final OpenTelemetry openTelemetry;
  private final Tracer tracer;
  private final boolean tracing;
  private final PrometheusMetricReader prometheus;
  private final AutoCloseable shutdown;

  private Telemetry(OpenTelemetry openTelemetry, boolean tracing,
      PrometheusMetricReader prometheus, AutoCloseable shutdown) {
    this.openTelemetry = openTelemetry;
    this.tracer = openTelemetry.getTracer(INSTRUMENTATION);
    this.tracing = tracing;
    this.prometheus = prometheus;
    this.shutdown = shutdown;
  }

  /** Configured from the OTEL_* environment variables and system properties. */
  public static Telemetry fromEnvironment() {
    PrometheusMetricReader prometheus = new PrometheusMetricReader(false, null);
    AtomicBoolean tracing = new AtomicBoolean();
    AutoConfiguredOpenTelemetrySdk configured = AutoConfiguredOpenTelemetrySdk.builder()
        .addPropertiesSupplier(() -> Map.of(
            "otel.service.name", "edgecache-ext-proc",
            "otel.traces.exporter", "none",
            "otel.metrics.exporter", "none",
            "otel.logs.exporter", "none"))
        .addPropertiesCustomizer(config -> {
          tracing.set(!"none".equals(config.getString("otel.traces.exporter", "none")));
          return Map.of();
        })
        .addMeterProviderCustomizer((builder, config) -> builder.registerMetricReader(prometheus))
        .disableShutdownHook()
        .build();
    OpenTelemetrySdk sdk = configured.getOpenTelemetrySdk();
    return new Telemetry(sdk, tracing.get(), prometheus, sdk);
  }

  /** No traces, no exported metrics: for scratch nodes such as the start-up warm-up. */
  public static Telemetry disabled() {
    return new Telemetry(OpenTelemetry.noop(), false, null, () -> { });
  }

  /** Around an SDK built by the caller (tests use in-memory exporters). */
  public static Telemetry of(OpenTelemetrySdk sdk, PrometheusMetricReader prometheus) {
    return new Telemetry(sdk, true, prometheus, () -> { });
  }

  public Meter meter() {
    return openTelemetry.getMeter(INSTRUMENTATION);
  }

  public boolean tracing() {
    return tracing;
  }

  /**
   * Starts the span of one ext_proc stream as a child of the context the request carries
   * (traceparent/tracestate, or B3 when configured).
   */
  public ExchangeTrace startExchange(HeaderList requestHeaders, String method, String scheme,
      String host, String path, CacheKey key) {
    if (!tracing) {
      return ExchangeTrace.NONE;
    }
    TextMapPropagator propagator = openTelemetry.getPropagators().getTextMapPropagator();
    Context parent = propagator.extract(Context.root(), requestHeaders, HEADERS);
    int query = path.indexOf('?');
    Span span = tracer.spanBuilder("edgecache " + method)
        .setParent(parent)
        .setSpanKind(SpanKind.SERVER)
        .setAttribute(METHOD, method)
        .setAttribute(SCHEME, scheme)
        .setAttribute(HOST, host)
        .setAttribute(PATH, query < 0 ? path : path.substring(0, query))
        .setAttribute(ExchangeTrace.KEY_HASH, Integer.toHexString(key.uri().hashCode()))
        .startSpan();
    return new ExchangeTrace(span, tracer, propagator);
  }

  /** The current metrics in Prometheus text format. */
  public void writePrometheus(OutputStream out) throws IOException {
    if (prometheus != null) {
      new PrometheusTextFormatWriter(false).write(out, prometheus.collect());
    }
  }

  public String prometheusText() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writePrometheus(out);
    return out.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  @Override
  public void close() throws Exception {
    shutdown.close();
  }
}
