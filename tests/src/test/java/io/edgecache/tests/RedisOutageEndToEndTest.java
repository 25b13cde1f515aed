package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.config.ServerConfigLoader;
import io.edgecache.extproc.testing.RedisServer;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redis stopped in the middle of a run of client requests through two cache nodes, then
 * restarted: no client request fails (an outage costs hit ratio only), and once Redis is back
 * node B again serves what node A fetched.
 */
class RedisOutageEndToEndTest {

  private static final String SITE = "outage.example";
  private static final int REQUESTS_PER_PHASE = 40;
  /** More than the breakers' cool-down in {@link #nodeConfig}. */
  private static final Duration PAST_COOL_DOWN = Duration.ofSeconds(2);

  @TempDir Path dir;
  private RedisServer redis;
  private TestOrigin origin;
  private EdgeStack nodeA;
  private EdgeStack nodeB;

  @BeforeEach
  void start() throws Exception {
    redis = RedisServer.start();
    origin = new TestOrigin();
    nodeA = EdgeStack.start(origin, nodeConfig("a"));
    nodeB = EdgeStack.start(origin, nodeConfig("b"));
  }

  @AfterEach
  void stop() throws Exception {
    nodeA.close();
    nodeB.close();
    origin.close();
    redis.close();
  }

  private ServerConfig nodeConfig(String node) throws Exception {
    Path yaml = Files.writeString(dir.resolve(node + ".yaml"), """
        tiers:
          lookupWait: 2s
          breaker: {failures: 3, coolDown: 1s}
          redis: {enabled: true, uri: "%s", timeout: 200ms}
        """.formatted(redis.uri()));
    return ServerConfigLoader.load(yaml);
  }

  @Test
  void anOutageCostsHitsNeverRequests() throws Exception {
    int failed = 0;
    failed += phase("before");
    redis.stop();
    failed += phase("during");
    assertEquals("OPEN", AdminStats.tier(nodeB.server, "redis").path("breaker").asText(),
        "the failing tier is skipped");
    redis.restart();
    failed += phase("after-restart");
    assertEquals(0, failed, "client requests that failed");

    // Past the cool-down a probe closes each node's breaker, and sharing resumes. Lettuce
    // reconnects in the background (every 200 ms), so a probe may still find Redis away and
    // open the breaker again: each look moves the clocks past the cool-down, as time would, and
    // asks for a fresh path, which A fetches and B is then served from A's entry. A's write is
    // queued, not awaited, so B may look before it lands; the next path tries again.
    AtomicInteger attempt = new AtomicInteger();
    await(() -> {
      nodeA.clock.advance(PAST_COOL_DOWN);
      nodeB.clock.advance(PAST_COOL_DOWN);
      String path = "/resumed-" + attempt.incrementAndGet();
      reply(path);
      get(nodeA, path);
      return cacheStatusOf(get(nodeB, path)).contains("hit");
    });
  }

  /** Node A fetches a fresh key, node B asks for it; counts responses that were not 200. */
  private int phase(String name) {
    int failed = 0;
    for (int i = 0; i < REQUESTS_PER_PHASE; i++) {
      String path = "/" + name + "-" + i;
      reply(path);
      for (EdgeStack node : new EdgeStack[] {nodeA, nodeB}) {
        HttpResponse<String> response = get(node, path);
        if (response == null || response.statusCode() != 200) {
          failed++;
        }
      }
    }
    return failed;
  }

  private void reply(String path) {
    origin.reply(path, TestOrigin.Reply.text("body of " + path, "cache-control", "max-age=600",
        "date", HttpDate.format(nodeA.clock.instant())));
  }

  private static HttpResponse<String> get(EdgeStack node, String path) {
    try {
      return node.get(path, "host", SITE);
    } catch (Exception e) {
      return null; // counted as a failed client request
    }
  }

  private static String cacheStatusOf(HttpResponse<String> response) {
    return response == null ? "(failed)"
        : response.headers().firstValue("cache-status").orElse("(none)");
  }

  /** Polls, as each look is a pair of client requests. */
  private static void await(BooleanSupplier condition) throws InterruptedException {
    Poll.until("sharing resumed", Duration.ofSeconds(30), condition);
  }
}
