package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.config.ServerConfigLoader;
import io.edgecache.extproc.testing.RedisServer;
import io.edgecache.extproc.testing.S3Server;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two cache nodes, each with its own memory and disk, sharing a real Redis and a real S3
 * protocol server: what node A fetched from the origin, node B serves as a hit through its
 * edge without touching the origin (small objects through Redis, large ones through S3).
 */
class SharedTiersEndToEndTest {

  /** Both nodes serve one site, as nodes behind one load balancer do. */
  private static final String SITE = "shared.example";

  private static RedisServer redis;
  private static S3Server s3;

  @TempDir Path dir;
  private TestOrigin origin;
  private EdgeStack nodeA;
  private EdgeStack nodeB;

  @BeforeAll
  static void startSharedTiers() throws Exception {
    redis = RedisServer.start();
    s3 = S3Server.start("edgecache-e2e");
  }

  @AfterAll
  static void stopSharedTiers() {
    redis.close();
    s3.close();
  }

  @BeforeEach
  void startNodes() throws Exception {
    origin = new TestOrigin();
    nodeA = EdgeStack.start(origin, nodeConfig("a"));
    nodeB = EdgeStack.start(origin, nodeConfig("b"));
  }

  @AfterEach
  void stopNodes() throws Exception {
    nodeA.close();
    nodeB.close();
    origin.close();
  }

  private ServerConfig nodeConfig(String node) throws Exception {
    Path home = Files.createDirectories(dir.resolve(node));
    Path id = Files.writeString(home.resolve("id"), S3Server.ACCESS_KEY);
    Path secret = Files.writeString(home.resolve("secret"), S3Server.SECRET_KEY);
    Path yaml = Files.writeString(home.resolve("edgecache.yaml"), """
        tiers:
          largeObjectBytes: 1MiB
          lookupWait: 3s
          bodyListen: 127.0.0.1:0
          disk: {enabled: true, path: %s, maxBytes: 256MiB}
          redis: {enabled: true, uri: "%s", timeout: 1s}
          s3:
            enabled: true
            bucket: edgecache-e2e
            endpoint: %s
            pathStyle: true
            timeout: 5s
            credentials: {source: files, accessKeyIdFile: %s, secretAccessKeyFile: %s}
        """.formatted(home.resolve("disk"), redis.uri(), s3.endpoint(), id, secret));
    return ServerConfigLoader.load(yaml);
  }

  @Test
  void smallObjectFetchedByNodeAIsAHitOnNodeB() throws Exception {
    origin.reply("/small", TestOrigin.Reply.text("x".repeat(10_000), "cache-control",
        "max-age=600", "date", HttpDate.format(nodeA.clock.instant())));
    nodeA.get("/small", "host", SITE);
    await(() -> AdminStats.tier(nodeA.server, "redis").path("writes").asLong() >= 1);

    HttpResponse<String> fromB = nodeB.get("/small", "host", SITE);
    assertTrue(fromB.headers().firstValue("cache-status").orElse("").contains("hit"),
        fromB.headers().toString());
    assertEquals(10_000, fromB.body().length());
    assertEquals(1, origin.count("/small"), "node B did not touch the origin");
    assertEquals(1, AdminStats.tier(nodeB.server, "redis").path("hits").asLong());
  }

  @Test
  void largeObjectFetchedByNodeAIsAHitOnNodeBThroughS3() throws Exception {
    String body = "0123456789abcdef".repeat(3 << 16); // 3 MiB: above largeObjectBytes
    origin.reply("/large", TestOrigin.Reply.text(body, "cache-control", "max-age=600",
        "date", HttpDate.format(nodeA.clock.instant())));
    nodeA.get("/large", "host", SITE);
    await(() -> AdminStats.tier(nodeA.server, "s3").path("writes").asLong() >= 1);

    HttpResponse<String> fromB = nodeB.get("/large", "host", SITE);
    assertTrue(fromB.headers().firstValue("cache-status").orElse("").contains("hit"),
        fromB.headers().toString());
    assertEquals(body, fromB.body());
    assertEquals(1, origin.count("/large"), "node B did not touch the origin");
    assertTrue(AdminStats.tier(nodeB.server, "s3").path("hits").asLong() >= 1);
    // Streamed from S3, or from B's disk if the copy the lookup started was quicker
    // (BodyFromS3Test covers streaming from S3 alone).
    assertEquals(1, bodiesServed(nodeB));

    // B copies the entry from S3 to its own disk; then it serves it from there.
    await(() -> AdminStats.tier(nodeB.server, "disk").path("writes").asLong() >= 1);
    long s3Hits = AdminStats.tier(nodeB.server, "s3").path("hits").asLong();
    HttpResponse<String> range = nodeB.get("/large", "host", SITE, "range", "bytes=100-131");
    assertEquals(206, range.statusCode(), range.headers().toString());
    assertEquals(body.substring(100, 132), range.body());
    assertTrue(range.headers().firstValue("cache-status").orElse("").contains("hit"));
    assertEquals(s3Hits, AdminStats.tier(nodeB.server, "s3").path("hits").asLong(),
        "served from node B's disk");
    assertEquals(2, bodiesServed(nodeB));
    assertEquals(1, origin.count("/large"));
  }

  /** Bodies the node's body endpoint streamed, from S3 or from its disk. */
  private static long bodiesServed(EdgeStack node) {
    JsonNode bodies = AdminStats.of(node.server).path("bodyEndpoint");
    return bodies.path("fromS3").asLong() + bodies.path("fromDisk").asLong();
  }

  /**
   * Tier writes are asynchronous; wait for one with a deadline rather than a sleep. Polls, as
   * each look is a request to the node's /stats.
   */
  private static void await(BooleanSupplier condition) throws InterruptedException {
    Poll.until("the tier written", Duration.ofSeconds(30), condition);
  }
}
