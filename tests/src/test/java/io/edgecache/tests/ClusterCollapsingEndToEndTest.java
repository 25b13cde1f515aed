package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgecache.extproc.cache.CacheKey;
import io.edgecache.extproc.coalesce.ClusterCoalescer;
import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.config.ServerConfigLoader;
import io.edgecache.extproc.testing.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three cache nodes sharing one real Redis collapse concurrent misses on a key into one origin
 * fetch: the node that takes the key's lease fetches, the others wait for its fill
 * notification and serve the entry from Redis. A lease whose holder died runs out and another
 * node fetches; with Redis gone each node still collapses on its own.
 */
class ClusterCollapsingEndToEndTest {

  /** Every node serves one site, as nodes behind one load balancer do. */
  private static final String SITE = "cluster.example";
  private static final String BODY = "the one body, fetched once for the whole cluster";

  private static RedisServer redis;

  @TempDir Path dir;
  private final TestOrigin origin = new TestOrigin();
  private final List<EdgeStack> nodes = new ArrayList<>();

  ClusterCollapsingEndToEndTest() throws InterruptedException {}

  @BeforeAll
  static void startRedis() throws Exception {
    redis = RedisServer.start();
  }

  @AfterAll
  static void stopRedis() {
    redis.close();
  }

  @AfterEach
  void stopNodes() throws Exception {
    for (EdgeStack node : nodes) {
      node.close();
    }
    origin.close();
  }

  /**
   * Waits are long enough for 300 requests to arrive on a busy two-core machine. The lease is
   * short: while the origin is held its holder keeps renewing it.
   */
  private void startNodes(int count, String leaseTtl) throws Exception {
    for (int i = 0; i < count; i++) {
      Path yaml = Files.writeString(dir.resolve("node" + i + ".yaml"), """
          collapsing:
            maxWait: 30s
            cluster: {enabled: true, leaseTtl: %s}
          tiers:
            lookupWait: 3s
            redis: {enabled: true, uri: "%s", timeout: 2s}
          """.formatted(leaseTtl, redis.uri()));
      ServerConfig config = ServerConfigLoader.load(yaml);
      nodes.add(EdgeStack.start(origin, config));
    }
  }

  @Test
  void threeNodesTimesOneHundredConcurrentMissesCostOneOriginFetch() throws Exception {
    startNodes(3, "2s");
    String p = "/cold";
    origin.reply(p, cacheable());
    origin.hold(p); // the winner's fetch stays in flight until every other request waits

    List<CompletableFuture<List<HttpResponse<String>>>> bursts = new ArrayList<>();
    for (EdgeStack node : nodes) {
      bursts.add(CompletableFuture.supplyAsync(() -> concurrentGets(node, 100, p)));
    }
    // The winner's 99 local followers, and all 100 requests on each of the other two nodes.
    await("299 requests waiting",
        () -> sum(n -> n.server.node().coalescer().waitingNow()) == 299);
    await("the winner's fetch at the origin", () -> origin.count(p) >= 1);
    origin.release(p);

    int served = 0;
    for (CompletableFuture<List<HttpResponse<String>>> burst : bursts) {
      for (HttpResponse<String> response : burst.get()) {
        assertEquals(200, response.statusCode());
        assertEquals(BODY, response.body());
        served++;
      }
    }
    assertEquals(300, served);
    assertEquals(1, origin.count(p), "exactly one origin fetch for the cluster");
    assertEquals(1, sum(n -> n.server.node().cluster().leasesWon()));
    assertEquals(2, sum(n -> n.server.node().cluster().leasesLost()));
    assertEquals(2, sum(n -> n.server.node().cluster().fillsReceived()));
    assertEquals(0, sum(n -> n.server.node().cluster().leaseTakeovers()));
    long wonPerStats = 0;
    for (EdgeStack node : nodes) {
      String stats = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
              "http://127.0.0.1:" + node.server.adminPort() + "/stats")).timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      wonPerStats += new ObjectMapper().readTree(stats)
          .path("collapsing").path("cluster").path("leasesWon").asLong();
    }
    assertEquals(1, wonPerStats, "/stats shows the one lease won");
  }

  @Test
  void leaseOfACrashedLeaderRunsOutAndAnotherNodeFetches() throws Exception {
    startNodes(2, "2s");
    String p = "/orphaned";
    origin.reply(p, cacheable());
    // A node took the lease and died before fetching: nobody will announce a fill.
    try (RedisClient client = RedisClient.create(redis.uri());
        StatefulRedisConnection<String, String> connection = client.connect()) {
      String leaseKey = ClusterCoalescer.leaseKey(CacheKey.of("http", SITE, p).uri());
      connection.sync().set(leaseKey, "crashed-node", SetArgs.Builder.nx().px(3_000));
    }

    List<CompletableFuture<List<HttpResponse<String>>>> bursts = new ArrayList<>();
    for (EdgeStack node : nodes) {
      bursts.add(CompletableFuture.supplyAsync(() -> concurrentGets(node, 20, p)));
    }
    for (CompletableFuture<List<HttpResponse<String>>> burst : bursts) {
      for (HttpResponse<String> response : burst.get()) {
        assertEquals(200, response.statusCode());
        assertEquals(BODY, response.body());
      }
    }
    assertEquals(1, origin.count(p), "one node fetched once the dead lease ran out");
    assertEquals(1, sum(n -> n.server.node().cluster().leaseTakeovers()),
        "a node took over the dead lease");
    assertEquals(1, sum(n -> n.server.node().cluster().leasesWon()));
  }

  @Test
  void withRedisDownEachNodeStillCollapsesOnItsOwn() throws Exception {
    startNodes(2, "2s");
    redis.stop();
    try {
      String p = "/redis-down";
      origin.reply(p, cacheable());
      origin.hold(p);
      List<CompletableFuture<List<HttpResponse<String>>>> bursts = new ArrayList<>();
      for (EdgeStack node : nodes) {
        bursts.add(CompletableFuture.supplyAsync(() -> concurrentGets(node, 20, p)));
      }
      await("19 followers waiting on each node",
          () -> sum(n -> n.server.node().coalescer().waitingNow()) == 38);
      origin.release(p);
      for (CompletableFuture<List<HttpResponse<String>>> burst : bursts) {
        for (HttpResponse<String> response : burst.get()) {
          assertEquals(200, response.statusCode());
          assertEquals(BODY, response.body());
        }
      }
      assertEquals(2, origin.count(p), "one fetch per node: node-local collapsing");
      for (EdgeStack node : nodes) {
        assertTrue(node.server.node().cluster().unavailable() >= 1);
      }
    } finally {
      redis.restart();
    }
  }

  private TestOrigin.Reply cacheable() {
    return TestOrigin.Reply.text(BODY, "cache-control", "max-age=600",
        "date", HttpDate.format(nodes.get(0).clock.instant()));
  }

  private static List<HttpResponse<String>> concurrentGets(EdgeStack node, int count,
      String p) {
    try {
      return node.concurrentGets(count, p, "host", SITE);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private long sum(ToLongFunction<EdgeStack> figure) {
    return nodes.stream().mapToLong(figure).sum();
  }

  /**
   * Polls with a deadline: the requests arrive at their own pace. Parks between polls so the
   * poller leaves the two cores to the nodes.
   */
  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
    }
  }
}
