package io.edgecache.extproc.store;

import static io.edgecache.extproc.store.StoreFixtures.assertSameEntry;
import static io.edgecache.extproc.store.StoreFixtures.entry;
import static io.edgecache.extproc.store.StoreFixtures.eventually;
import static io.edgecache.extproc.store.StoreFixtures.key;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.cache.CacheKey;
import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.cache.L1Store;
import io.edgecache.extproc.config.TiersConfig;
import io.edgecache.extproc.testing.RedisServer;
import io.edgecache.extproc.testing.S3Server;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Must-show 1: two nodes with their own memory and disk share Redis and S3, so what node A
 * stored, node B finds: a small object from Redis, a large one (uploaded in parts) from S3.
 */
class SharedTiersTest {

  private static RedisServer redis;
  private static S3Server s3;

  @TempDir Path dir;
  private final Clock clock = Clock.systemUTC();
  /** The nodes' scheduler: times the tier calls. */
  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
  private TieredStore nodeA;
  private TieredStore nodeB;

  @BeforeAll
  static void startServers() throws Exception {
    redis = RedisServer.start();
    s3 = S3Server.start("edgecache-test");
  }

  @AfterAll
  static void stopServers() throws Exception {
    s3.close();
    redis.close();
  }

  @BeforeEach
  void openNodes() throws Exception {
    nodeA = open("a");
    nodeB = open("b");
  }

  @AfterEach
  void closeNodes() {
    nodeA.close();
    nodeB.close();
    timers.shutdownNow();
  }

  private TieredStore open(String node) throws Exception {
    Path home = java.nio.file.Files.createDirectories(dir.resolve(node));
    TiersConfig config = StoreFixtures.tiers(home.resolve("disk"), redis.uri(), s3.endpoint(),
        home);
    return TieredStore.open(config, new L1Store(64L << 20, Duration.ofHours(1), clock), clock,
        timers);
  }

  @Test
  void smallObjectStoredByOneNodeIsFoundByTheOtherInRedis() throws Exception {
    CacheKey key = key("/small");
    CachedResponse small = entry(clock.instant(), 10_000, 7);
    nodeA.store(key, small);

    assertTrue(eventually(Duration.ofSeconds(10),
        () -> nodeA.stats("redis").orElseThrow().writes() == 1), "node A wrote to Redis");
    assertSameEntry(small, nodeB.lookup(key).join());
    assertEquals(1, nodeB.stats("redis").orElseThrow().hits());
    assertEquals(0, nodeB.stats("s3").orElseThrow().hits(), "small objects do not go to S3");
    // promoted: the next lookup on node B is an L1 hit, complete at once
    assertTrue(nodeB.lookup(key).isDone());
    assertEquals(1, nodeB.l1Stats().hits());
  }

  @Test
  void largeObjectStoredByOneNodeIsFoundByTheOtherInS3() throws Exception {
    CacheKey key = key("/large");
    CachedResponse large = entry(clock.instant(), 6 << 20, 11); // two parts of 5 MiB
    nodeA.store(key, large);

    assertTrue(eventually(Duration.ofSeconds(30),
        () -> nodeA.stats("s3").orElseThrow().writes() == 1), "node A wrote to S3");
    assertEquals(0, nodeA.stats("redis").orElseThrow().writes(), "large objects skip Redis");
    assertSameEntry(large, nodeB.lookup(key).join());
    assertEquals(1, nodeB.stats("s3").orElseThrow().hits());
    // promoted to node B's disk, not to its memory
    assertNull(nodeB.l1().get(key));
    assertTrue(eventually(Duration.ofSeconds(10),
        () -> nodeB.stats("disk").orElseThrow().writes() == 1), "node B promoted to disk");
    assertSameEntry(large, nodeB.lookup(key).join());
    assertEquals(1, nodeB.stats("disk").orElseThrow().hits());
  }
}
