package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgecache.extproc.telemetry.Telemetry;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.prometheus.PrometheusMetricReader;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * OpenTelemetry through a real request: the span tree continues the incoming traceparent and
 * reaches the origin; the admin port's /metrics and /stats count hits and misses.
 */
class TelemetryTest {

  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String CLIENT_SPAN = "00f067aa0ba902b7";

  private final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private TestOrigin origin;
  private EdgeStack stack;

  @BeforeEach
  void start() throws Exception {
    PrometheusMetricReader prometheus = new PrometheusMetricReader(false, null);
    OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
        .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(prometheus).build())
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
    origin = new TestOrigin();
    stack = EdgeStack.start(origin, Telemetry.of(sdk, prometheus));
  }

  @AfterEach
  void stop() throws Exception {
    stack.close();
    origin.close();
  }

  @Test
  void aRequestProducesASpanTreeUnderTheIncomingTraceparent() throws Exception {
    origin.reply("/traced", TestOrigin.Reply.text("x", "cache-control", "max-age=60",
        "date", HttpDate.format(stack.clock.instant())));
    stack.get("/traced", "traceparent", "00-" + TRACE_ID + "-" + CLIENT_SPAN + "-01");

    Map<String, SpanData> byName = awaitSpans("edgecache GET", "edgecache.lookup");
    SpanData exchange = byName.get("edgecache GET");
    SpanData lookup = byName.get("edgecache.lookup");
    assertEquals(TRACE_ID, exchange.getTraceId());
    assertEquals(CLIENT_SPAN, exchange.getParentSpanId(), "continues the client's trace");
    assertEquals(exchange.getSpanId(), lookup.getParentSpanId());
    assertEquals("miss", exchange.getAttributes().get(
        io.opentelemetry.api.common.AttributeKey.stringKey("edgecache.outcome")));
    assertEquals("l1", lookup.getAttributes().get(
        io.opentelemetry.api.common.AttributeKey.stringKey("edgecache.tier")));
    String upstream = origin.lastRequestHeader("/traced", "traceparent");
    assertEquals("00-" + TRACE_ID + "-" + exchange.getSpanId() + "-01", upstream,
        "the origin continues the trace from the cache's span");
    assertTrue(SpanId.isValid(exchange.getSpanId()));
  }

  /** The exchange span ends when local-edge closes the stream, just after the response. */
  private Map<String, SpanData> awaitSpans(String... names) {
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(20).toNanos();
    while (true) {
      Map<String, SpanData> byName = spans.getFinishedSpanItems().stream()
          .collect(Collectors.toMap(SpanData::getName, Function.identity(), (a, b) -> a));
      if (byName.keySet().containsAll(List.of(names))) {
        return byName;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("spans so far: " + byName.keySet());
      }
      Thread.onSpinWait();
    }
  }

  @Test
  void metricsAndStatsShowOneMissAndOneHit() throws Exception {
    origin.reply("/", TestOrigin.Reply.text("x", "cache-control", "max-age=60",
        "date", HttpDate.format(stack.clock.instant())));
    stack.get("/");
    stack.get("/");

    HttpClient client = HttpClient.newHttpClient();
    URI admin = URI.create("http://127.0.0.1:" + stack.server.adminPort());
    String metrics = client.send(HttpRequest.newBuilder(admin.resolve("/metrics")).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertTrue(metrics.contains("edgecache_requests_total{outcome=\"hit\"} 1.0")
        || metrics.contains("edgecache_requests_total{outcome=\"hit\"} 1"), metrics);
    assertTrue(metrics.contains("edgecache_requests_total{outcome=\"miss\"} 1"), metrics);
    for (String bound : List.of("edgecache_collapse_overtaken_total ", "edgecache_recordings_bytes ",
        "edgecache_recordings_refused_total ")) {
      assertTrue(metrics.contains(bound), bound + " in " + metrics);
    }

    JsonNode stats = stats();
    assertEquals(1, stats.get("requests").get("hit").asLong());
    assertEquals(1, stats.get("requests").get("miss").asLong());
    assertEquals(0.5, stats.get("hitRatio").asDouble());
    assertEquals(List.of("l1"), List.of(stats.get("tiers").get(0).get("name").asText()));
  }

  /** edgecache_response_bytes_total{source=cache} counts the bytes a hit sends: a range's, not the stored body's. */
  @Test
  void rangeHitCountsTheBytesSent() throws Exception {
    origin.reply("/body", TestOrigin.Reply.text("0123456789".repeat(100), "cache-control", "max-age=60",
        "date", HttpDate.format(stack.clock.instant())));
    stack.get("/body");
    HttpResponse<String> range = stack.get("/body", "range", "bytes=0-99");
    assertEquals(206, range.statusCode());
    assertEquals(100, range.body().length());

    JsonNode bytes = stats().get("bytes");
    assertEquals(1000, bytes.get("fromOrigin").asLong());
    assertEquals(100, bytes.get("fromCache").asLong());
  }

  private JsonNode stats() throws Exception {
    URI admin = URI.create("http://127.0.0.1:" + stack.server.adminPort());
    return new ObjectMapper().readTree(HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(admin.resolve("/stats")).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString()).body());
  }
}
