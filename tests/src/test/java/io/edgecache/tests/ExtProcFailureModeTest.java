package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * With the ext_proc server down, {@code failure_mode_allow} decides: true serves the origin
 * without the cache, false fails the request with 500, as Envoy does.
 */
class ExtProcFailureModeTest {

  private TestOrigin origin;
  /** Held for the whole test: a port merely probed could be taken by a real listener. */
  private Socket deadPortHolder;
  private int deadPort;

  @BeforeEach
  void start() throws Exception {
    origin = new TestOrigin();
    origin.reply("/", TestOrigin.Reply.text("from origin", "cache-control", "max-age=60"));
    deadPortHolder = LoopbackPorts.reserve(0); // bound, not listening: connections are refused
    deadPort = deadPortHolder.getLocalPort();
  }

  @AfterEach
  void stop() throws Exception {
    deadPortHolder.close();
    origin.close();
  }

  @Test
  void failureModeAllowServesTheOrigin() throws Exception {
    try (EdgeStack stack = EdgeStack.startWithExtProcAt(origin, deadPort,
        filter -> filter.toBuilder().setFailureModeAllow(true).build())) {
      HttpResponse<String> response = stack.get("/");
      assertEquals(200, response.statusCode());
      assertEquals("from origin", response.body());
      assertEquals(1, origin.count("/"));
    }
  }

  @Test
  void withoutFailureModeAllowTheRequestFailsWith500() throws Exception {
    try (EdgeStack stack = EdgeStack.startWithExtProcAt(origin, deadPort,
        filter -> filter.toBuilder().setFailureModeAllow(false).build())) {
      HttpResponse<String> response = stack.get("/");
      assertEquals(500, response.statusCode());
      assertEquals(0, origin.count("/"), "the request never reached the origin");
    }
  }

  @Test
  void aFailOpenIsCountedOnTheEdgesStatsAsEnvoyNamesIt() throws Exception {
    try (EdgeStack stack = EdgeStack.startWithExtProcAt(origin, deadPort,
        filter -> filter.toBuilder().setFailureModeAllow(true).build())) {
      assertEquals(200, stack.get("/").statusCode());
      assertEquals(1, stack.edge.processorStats().failureModeAllowed());
      HttpResponse<String> stats = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stack.edge.adminPort() + "/stats"))
              .timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertTrue(stats.body().contains("http.edge.ext_proc.failure_mode_allowed: 1\n"), stats.body());
      assertTrue(stats.body().contains("http.edge.ext_proc.streams_failed: 1\n"), stats.body());
    }
  }
}
