package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.config.RoutePolicy;
import io.edgecache.extproc.config.ServerConfig;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RFC 5861: stale-while-revalidate and stale-if-error, and the route grace defaults. */
class StaleContentConformanceTest extends ConformanceBase {

  @Test
  void staleWhileRevalidateServesStaleAndRefreshesOnceUnder50Requests_5861_3() throws Exception {
    String p = path("swr");
    origin.reply(p, TestOrigin.Reply.text("v1", dated("cache-control",
        "max-age=10, stale-while-revalidate=60")));
    stack.get(p);
    advance(30);
    origin.reply(p, TestOrigin.Reply.text("v2", dated("cache-control",
        "max-age=10, stale-while-revalidate=60")));
    origin.hold(p); // the refresh stays in flight while the 50 requests arrive

    List<HttpResponse<String>> responses = stack.concurrentGets(50, p);
    for (HttpResponse<String> response : responses) {
      assertEquals("v1", response.body(), "served stale at once");
      assertStatus(response, "detail=stale-while-revalidate");
    }
    origin.release(p);
    awaitRefreshed(p, "v2");
    assertOriginSaw(p, 2); // the first fetch and exactly one background refresh
    assertEquals(1, AdminStats.of(stack.server).path("refreshesStarted").asLong());
  }

  private void awaitRefreshed(String p, String body) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      HttpResponse<String> response = stack.get(p, "cache-control", "max-stale");
      if (response.body().equals(body)) {
        assertHit(response);
        return;
      }
      Thread.onSpinWait();
    }
    throw new AssertionError("the background refresh never stored " + body);
  }

  @Test
  void staleIfErrorServesStaleOnA5xx_5861_4() throws Exception {
    String p = path("sie");
    origin.reply(p, TestOrigin.Reply.text("good", dated("cache-control",
        "max-age=10, stale-if-error=60")));
    stack.get(p);
    advance(30);
    origin.reply(p, TestOrigin.Reply.status(503, "down", "cache-control", "no-store"));
    HttpResponse<String> response = stack.get(p);
    assertEquals(200, response.statusCode());
    assertEquals("good", response.body());
    assertStatus(response, "hit; fwd=stale; fwd-status=503; ttl=-20; detail=stale-if-error");
  }

  @Test
  void staleIfErrorServesStaleWhenTheOriginIsUnreachable_5861_4() throws Exception {
    String p = path("sie-down");
    origin.reply(p, TestOrigin.Reply.text("good", dated("cache-control",
        "max-age=10, stale-if-error=60")));
    stack.get(p);
    advance(30);
    origin.close(); // connection refused: the edge's 503 passes through the cache
    HttpResponse<String> response = stack.get(p);
    assertEquals(200, response.statusCode());
    assertEquals("good", response.body());
    assertStatus(response, "fwd-status=503");
  }

  @Test
  void pastStaleIfErrorTheErrorGoesThrough_5861_4() throws Exception {
    String p = path("sie-expired");
    origin.reply(p, TestOrigin.Reply.text("good", dated("cache-control",
        "max-age=10, stale-if-error=5", "etag", "\"s\"")));
    stack.get(p);
    advance(30);
    origin.reply(p, TestOrigin.Reply.status(503, "down", "cache-control", "no-store"));
    assertEquals(503, stack.get(p).statusCode());
  }

  @Test
  void routeGraceAppliesWhenTheOriginSendsNoStaleDirectives() throws Exception {
    restart(ServerConfig.defaults().withRoutes(List.of(RoutePolicy.builder()
        .staleIfError(Duration.ofMinutes(10)).build())));
    String p = path("grace");
    origin.reply(p, TestOrigin.Reply.text("good", dated("cache-control", "max-age=10")));
    stack.get(p);
    advance(120);
    origin.reply(p, TestOrigin.Reply.status(500, "boom", "cache-control", "no-store"));
    HttpResponse<String> response = stack.get(p);
    assertEquals("good", response.body());
    assertTrue(cacheStatus(response).contains("stale-if-error"), cacheStatus(response));
  }
}
