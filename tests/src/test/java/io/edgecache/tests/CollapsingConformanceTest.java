package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.edgecache.extproc.config.ServerConfig;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Request collapsing on one node: concurrent misses on one key cost one origin fetch. */
class CollapsingConformanceTest extends ConformanceBase {

  /** Followers wait long enough for 200 requests to arrive on a busy two-core machine. */
  @Override
  protected ServerConfig config() {
    return ServerConfig.defaults().withCollapsing(
        new ServerConfig.Collapsing(true, Duration.ofSeconds(30), Duration.ofSeconds(10)));
  }

  @Test
  void twoHundredConcurrentMissesCostOneOriginRequest() throws Exception {
    String p = path("cold");
    origin.reply(p, TestOrigin.Reply.text("the one body", dated("cache-control",
        "max-age=60")));
    origin.hold(p); // the leader's fetch stays in flight until every follower waits
    CompletableFuture<List<HttpResponse<String>>> all =
        CompletableFuture.supplyAsync(() -> concurrentGets(200, p));
    awaitFollowers(199);
    origin.release(p);

    List<HttpResponse<String>> responses = all.get();
    assertEquals(200, responses.size());
    long collapsed = 0;
    for (HttpResponse<String> response : responses) {
      assertEquals(200, response.statusCode());
      assertEquals("the one body", response.body());
      if (cacheStatus(response).contains("collapsed")) {
        collapsed++;
      }
    }
    assertOriginSaw(p, 1);
    assertEquals(199, collapsed, "every follower was answered from the leader's fetch");
  }

  @Test
  void notStorableResponseReleasesFollowersAndPassesForAWhile() throws Exception {
    String p = path("private");
    origin.reply(p, TestOrigin.Reply.text("mine", dated("cache-control", "private")));
    origin.hold(p);
    CompletableFuture<List<HttpResponse<String>>> all =
        CompletableFuture.supplyAsync(() -> concurrentGets(5, p));
    awaitFollowers(4);
    origin.release(p);
    for (HttpResponse<String> response : all.get()) {
      assertEquals("mine", response.body());
    }
    assertOriginSaw(p, 5); // released to the origin, each its own private response

    // Hit-for-pass: the next burst is not serialised behind a leader. All five reach the
    // origin while it is still held.
    origin.hold(p);
    CompletableFuture<List<HttpResponse<String>>> burst =
        CompletableFuture.supplyAsync(() -> concurrentGets(5, p));
    awaitOriginCount(p, 10);
    origin.release(p);
    assertEquals(5, burst.get().size());
    assertEquals(0, stack.server.node().coalescer().waitingNow());
  }

  private void awaitOriginCount(String p, int count) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (origin.count(p) < count) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the origin saw only " + origin.count(p) + " requests");
      }
      Thread.onSpinWait();
    }
  }

  private List<HttpResponse<String>> concurrentGets(int count, String p) {
    try {
      return stack.concurrentGets(count, p);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private void awaitFollowers(int followers) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (stack.server.node().coalescer().waitingNow() < followers) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("only " + stack.server.node().coalescer().waitingNow()
            + " followers arrived");
      }
      Thread.onSpinWait();
    }
  }
}
