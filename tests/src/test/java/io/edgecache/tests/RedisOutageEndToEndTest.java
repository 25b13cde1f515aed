package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.config.ServerConfigLoader;
import io.edgecache.extproc.testing.RedisServer;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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

    // Past the cool-down a probe closes the breakers, and sharing resumes.
    nodeA.clock.advance(Duration.ofSeconds(2));
    nodeB.clock.advance(Duration.ofSeconds(2));
    String path = "/resumed";
    reply(path);
    // Counted from here, a write is A's entry for the path: B can find it only once Redis has
    // acknowledged it, which comes after A's response (the write is queued, not awaited).
    long writtenBefore = AdminStats.tier(nodeA.server, "redis").path("writes").asLong();
    await(() -> {
      get(nodeA, path);
      JsonNode redisTier = AdminStats.tier(nodeA.server, "redis");
      return redisTier.path("writes").asLong() > writtenBefore
          && redisTier.path("breaker").asText().equals("CLOSED");
    });
    // Node B's breaker lets a probe through on its next lookup, which finds A's entry.
    HttpResponse<String> fromB = get(nodeB, path);
    assertTrue(cacheStatusOf(fromB).contains("hit"), cacheStatusOf(fromB));
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

  /** Polls, as each look is a request to the node's /stats. */
  private static void await(BooleanSupplier condition) throws InterruptedException {
    Poll.until("sharing resumed", Duration.ofSeconds(30), condition);
  }
}
