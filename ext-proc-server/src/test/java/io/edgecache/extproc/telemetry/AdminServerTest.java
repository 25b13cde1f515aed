package io.edgecache.extproc.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The node's admin port over real HTTP: its pages and its readiness probe. */
class AdminServerTest {

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final AtomicReference<String> unavailable = new AtomicReference<>("draining");
  private AdminServer admin;

  @BeforeEach
  void start() throws Exception {
    admin = new AdminServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        Telemetry.disabled(), () -> Map.of("config_version", "test"), unavailable::get);
  }

  @AfterEach
  void stop() throws Exception {
    admin.close();
  }

  @Test
  void servesHealthStatsAndMetricsAndRefusesTheRest() throws Exception {
    HttpResponse<String> health = get("/healthz");
    assertEquals(200, health.statusCode());
    assertEquals("ok\n", health.body());
    HttpResponse<String> stats = get("/stats");
    assertEquals(200, stats.statusCode());
    assertEquals("application/json", stats.headers().firstValue("content-type").orElseThrow());
    assertTrue(stats.body().contains("\"config_version\" : \"test\""), stats.body());
    HttpResponse<String> metrics = get("/metrics");
    assertEquals(200, metrics.statusCode());
    assertTrue(metrics.headers().firstValue("content-type").orElseThrow().startsWith("text/plain"));
    assertEquals(404, get("/nothing").statusCode());
    HttpResponse<String> post = http.send(HttpRequest.newBuilder(uri("/healthz"))
        .timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(405, post.statusCode());
    assertEquals("GET", post.headers().firstValue("allow").orElseThrow());
  }

  @Test
  void readyzSaysWhyTheNodeTakesNoTraffic() throws Exception {
    HttpResponse<String> draining = get("/readyz");
    assertEquals(503, draining.statusCode());
    assertEquals("draining\n", draining.body());
    unavailable.set(null);
    assertEquals(200, get("/readyz").statusCode());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + admin.port() + path);
  }
}
