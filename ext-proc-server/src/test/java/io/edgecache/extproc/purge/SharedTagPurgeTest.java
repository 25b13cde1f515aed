package io.edgecache.extproc.purge;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.edgecache.extproc.cache.CacheKey;
import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.cache.L1Store;
import io.edgecache.extproc.cache.ReuseRules;
import io.edgecache.extproc.config.TiersConfig;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.store.PurgeHooks;
import io.edgecache.extproc.store.TieredStore;
import io.edgecache.extproc.testing.ManualClock;
import io.edgecache.extproc.testing.RedisServer;
import io.edgecache.proto.purge.v1.PurgeCommand;
import io.edgecache.proto.purge.v1.PurgeKind;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The shared tiers' tag index: what node A wrote to Redis under a tag is deleted from Redis by
 * the one node that purges the shared tiers (B), though B never held it.
 */
class SharedTagPurgeTest {

  private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
  /** The nodes' scheduler: times the tier calls. */
  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
  private RedisServer redis;
  private TieredStore nodeA;
  private TieredStore nodeB;
  private TieredStore reader;
  private PurgeScreen screenB;

  @BeforeEach
  void start() throws Exception {
    redis = RedisServer.start();
    nodeA = open(memory -> new PurgeScreen(keys(), Duration.ofDays(1), memory));
    nodeB = open(memory -> screenB = new PurgeScreen(keys(), Duration.ofDays(1), memory));
    reader = open(memory -> PurgeHooks.NONE); // no purges: sees exactly what Redis holds
  }

  @AfterEach
  void stop() {
    nodeA.close();
    nodeB.close();
    reader.close();
    timers.shutdownNow();
    redis.close();
  }

  @Test
  void hardTagPurgeDeletesEveryNodesSharedEntriesOnce() throws Exception {
    CacheKey tagged = CacheKey.of("http", "shop.example", "/tagged");
    CacheKey other = CacheKey.of("http", "shop.example", "/other");
    nodeA.store(tagged, entry("sale"));
    nodeA.store(other, entry("news"));
    awaitInRedis(tagged, true);
    awaitInRedis(other, true);

    NodePurger purgerB = new NodePurger(nodeB, screenB, clock);
    purgerB.apply(PurgeRule.of(PurgeCommand.newBuilder().setKind(PurgeKind.TAG).setValue("sale").build()),
        true);

    awaitInRedis(tagged, false);
    assertNotNull(reader.lookupBelowMemory(other).get(5, TimeUnit.SECONDS), "other tags stay");
  }

  private TieredStore open(java.util.function.Function<L1Store, PurgeHooks> purges)
      throws Exception {
    TiersConfig defaults = TiersConfig.defaults();
    TiersConfig withRedis = new TiersConfig(defaults.largeObjectBytes(), 1024,
        defaults.writeQueueBytes(), 5, Duration.ofSeconds(5),
        Duration.ofSeconds(2), null, null, defaults.disk(),
        new TiersConfig.Redis(true, redis.uri(), false, Duration.ofSeconds(2)), defaults.s3());
    L1Store memory = new L1Store(1L << 24, Duration.ofHours(1), clock);
    return TieredStore.open(withRedis, memory, clock, timers, purges.apply(memory));
  }

  private static SurrogateKeys keys() {
    return new SurrogateKeys("surrogate-key", "cache-tag");
  }

  private CachedResponse entry(String tag) {
    return new CachedResponse(200, HeaderList.of(List.of(new HeaderList.Field("surrogate-key", tag))),
        ByteString.copyFromUtf8("tagged " + tag), clock.instant(), Duration.ZERO, Duration.ofHours(1),
        Map.of(), ReuseRules.NONE);
  }

  private void awaitInRedis(CacheKey key, boolean present) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while ((reader.lookupBelowMemory(key).get(5, TimeUnit.SECONDS) != null) != present) {
      assertTrue(System.nanoTime() < deadline, key + (present ? " never reached" : " never left") + " Redis");
      Thread.sleep(5); // polling the asynchronous write or delete, bounded by the deadline
    }
  }
}
