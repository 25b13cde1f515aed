package io.edgecache.extproc.store;

import static io.edgecache.extproc.store.StoreFixtures.entry;
import static io.edgecache.extproc.store.StoreFixtures.eventually;
import static io.edgecache.extproc.store.StoreFixtures.key;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.cache.CacheKey;
import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.cache.L1Store;
import io.edgecache.extproc.config.TiersConfig;
import io.edgecache.extproc.testing.ManualClock;
import io.edgecache.extproc.testing.RedisServer;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Must-show 2: Redis killed during a run of stores and lookups, then restarted. No lookup
 * fails (misses are allowed), the breaker keeps calls away during the outage, and hits from
 * Redis resume once the breaker's probe (driven by a manual clock) finds it back.
 */
class RedisOutageTest {

  private final ManualClock clock = new ManualClock(Instant.now());
  private RedisServer redis;
  private TiersConfig config;
  /** The nodes' scheduler: times the tier calls. */
  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
  private TieredStore nodeA;
  private TieredStore nodeB;
  private int failedLookups;
  private int next;

  @BeforeEach
  void start() throws Exception {
    redis = RedisServer.start();
    config = StoreFixtures.tiers(null, redis.uri(), null, null);
    nodeA = TieredStore.open(config, new L1Store(16L << 20, Duration.ofHours(1), clock), clock,
        timers);
    nodeB = TieredStore.open(config, new L1Store(16L << 20, Duration.ofHours(1), clock), clock,
        timers);
  }

  @AfterEach
  void stop() throws Exception {
    nodeA.close();
    nodeB.close();
    timers.shutdownNow();
    redis.close();
  }

  @Test
  void anOutageCostsHitsNotRequests() throws Exception {
    for (int i = 0; i < 20; i++) {
      assertTrue(storeOnAFoundOnB(Duration.ofSeconds(5)), "before the outage");
    }
    TierStats bRedis = nodeB.stats("redis").orElseThrow();
    assertEquals(20, bRedis.hits());

    redis.stop();
    for (int i = 0; i < 300; i++) {
      CacheKey key = key("/outage/" + i);
      nodeA.store(key, entry(clock.instant(), 1024, i));
      lookupOnB(key);
    }
    assertEquals(0, failedLookups, "lookups that failed during the outage");
    assertEquals(CircuitBreaker.State.OPEN, nodeB.breakerState("redis").orElseThrow());
    assertTrue(bRedis.skipped() > 250, "the open breaker kept lookups away: " + bRedis);
    assertEquals(20, bRedis.hits());

    redis.restart();
    // Each round lets one probe through; Lettuce reconnects in the background meanwhile.
    assertTrue(storeOnAFoundOnB(Duration.ofSeconds(20)), "hits resumed after the restart");
    assertEquals(CircuitBreaker.State.CLOSED, nodeB.breakerState("redis").orElseThrow());
    for (int i = 0; i < 20; i++) {
      assertTrue(storeOnAFoundOnB(Duration.ofSeconds(5)), "after the outage");
    }
    assertEquals(0, failedLookups);
    assertTrue(bRedis.hits() >= 41, bRedis.toString());
  }

  /**
   * Stores a new entry on node A and looks it up on node B until B finds it in Redis or the
   * deadline passes, moving the clock past the breakers' cool-down between tries.
   */
  private boolean storeOnAFoundOnB(Duration deadline) throws InterruptedException {
    long end = System.nanoTime() + deadline.toNanos();
    while (System.nanoTime() < end) {
      CacheKey key = key("/item/" + next++);
      long writes = nodeA.stats("redis").orElseThrow().writes();
      nodeA.store(key, entry(clock.instant(), 1024, next));
      eventually(Duration.ofSeconds(1),
          () -> nodeA.stats("redis").orElseThrow().writes() > writes);
      if (lookupOnB(key) != null) {
        return true;
      }
      clock.advance(config.breakerCoolDown().plusMillis(1));
    }
    return false;
  }

  private CachedResponse lookupOnB(CacheKey key) {
    try {
      return nodeB.lookup(key).get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      failedLookups++;
      return null;
    }
  }
}
