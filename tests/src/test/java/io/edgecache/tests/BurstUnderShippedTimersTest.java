package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.edge.extproc.ProcessorStats;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Issue 18's burst with the ext_proc timers {@code envoy/envoy.yaml} ships (message_timeout
 * 200 ms, failure_mode_allow): concurrent misses on one cold key cost one origin fetch and no
 * request fails open, right after start and on a warm stack. The leader's fetch is held until
 * every other request has its first answer from the node (a follower's
 * override_message_timeout, or a fail-open), so all of them truly overlap.
 *
 * <p>Timing-sensitive by nature: it measures whether every answer beats a 200 ms timer, and on
 * a two-core machine shared with other builds (load ~20) thread wake-ups and GC pauses alone
 * exceed that. It runs when {@code -Dedgecache.bursts=true} is given (bench/burst.sh states
 * the same target for separate JVMs and curl clients); the default suite stays deterministic.
 */
@EnabledIfSystemProperty(named = "edgecache.bursts", matches = "true")
class BurstUnderShippedTimersTest {

  private static final int BURST = 30;

  private TestOrigin origin;
  private EdgeStack stack;

  @BeforeEach
  void start() throws Exception {
    origin = new TestOrigin();
    stack = EdgeStack.startWithShippedTimers(origin);
  }

  @AfterEach
  void stop() {
    stack.close();
    origin.close();
  }

  @Test
  void burstsRightAfterStartAndWarmCostOneFetchAndNoFailOpen() throws Exception {
    burst("/burst/cold");
    burst("/burst/warm");
  }

  private void burst(String path) throws Exception {
    origin.reply(path, TestOrigin.Reply.text("one body", "cache-control", "max-age=60"));
    origin.hold(path);
    ProcessorStats stats = stack.edge.processorStats();
    long failOpensBefore = stats.failureModeAllowed();
    long timeoutsBefore = stats.messageTimeouts();
    long waitingBefore = stats.overrideMessageTimeoutReceived();
    CompletableFuture<List<HttpResponse<String>>> all = CompletableFuture.supplyAsync(() -> {
      try {
        return stack.concurrentGets(BURST, path);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    Poll.until("every request but the leader waiting or failed open", Duration.ofSeconds(30),
        () -> stats.overrideMessageTimeoutReceived() - waitingBefore
            + stats.failureModeAllowed() - failOpensBefore >= BURST - 1);
    origin.release(path);

    List<HttpResponse<String>> responses = all.get();
    for (HttpResponse<String> response : responses) {
      assertEquals(200, response.statusCode());
      assertEquals("one body", response.body());
      assertTrue(response.headers().firstValue("cache-status").isPresent(),
          "answered by the node, not failed open");
    }
    assertEquals(0, stats.failureModeAllowed() - failOpensBefore, "fail-opens in " + path);
    assertEquals(0, stats.messageTimeouts() - timeoutsBefore, "message timeouts in " + path);
    assertEquals(1, origin.count(path), "origin fetches for " + path);
  }
}
