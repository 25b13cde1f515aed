package io.edgecache.extproc.purge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.edgecache.extproc.cache.CacheKey;
import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.cache.L1Store;
import io.edgecache.extproc.cache.ReuseRules;
import io.edgecache.extproc.config.TiersConfig;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.store.TieredStore;
import io.edgecache.extproc.testing.ManualClock;
import io.edgecache.proto.purge.v1.PurgeCommand;
import io.edgecache.proto.purge.v1.PurgeKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Purges on one node: memory at once, the disk tier through screening of what is read back. */
class NodePurgerTest {

  @TempDir
  Path dir;

  private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
  /** The node's scheduler: times the tier calls. */
  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
  private TieredStore tiers;
  private NodePurger purger;

  @BeforeEach
  void open() throws Exception {
    TiersConfig withDisk = TiersConfig.defaults().withLookupWait(Duration.ofSeconds(2))
        .withDisk(new TiersConfig.Disk(true, dir, 1L << 30, Duration.ofSeconds(2)));
    L1Store memory = new L1Store(1L << 24, Duration.ofHours(1), clock);
    PurgeScreen screen = new PurgeScreen(new SurrogateKeys("surrogate-key", "cache-tag"),
        Duration.ofDays(1), memory);
    tiers = TieredStore.open(withDisk, memory, clock, timers, screen);
    purger = new NodePurger(tiers, screen, clock);
  }

  @AfterEach
  void close() {
    tiers.close();
    timers.shutdownNow();
  }

  @Test
  void hardTagPurgeRemovesFromMemoryAndHidesWhatDiskStillHolds() throws Exception {
    CacheKey tagged = key("/a");
    CacheKey other = key("/b");
    store(tagged, "surrogate-key", "red blue");
    store(other, "cache-tag", "green, blue-ish");
    awaitOnDisk(tagged, other);

    purger.apply(rule(PurgeKind.TAG, "blue", false), false);

    assertNull(tiers.l1().get(tagged));
    assertNotNull(tiers.l1().get(other));
    assertNull(tiers.lookupBelowMemory(tagged).get(5, TimeUnit.SECONDS), "screened on the way up");
    assertNotNull(tiers.lookupBelowMemory(other).get(5, TimeUnit.SECONDS));
    Path file = tiers.disk().orElseThrow().fileOf(tagged.uri());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (Files.exists(file)) { // removed from memory, so deleted from disk too
      assertTrue(System.nanoTime() < deadline, "the purged entry's file is still on disk");
      Thread.sleep(5); // polling the asynchronous delete, bounded by the deadline
    }

    clock.advance(Duration.ofSeconds(1));
    store(tagged, "surrogate-key", "blue"); // fetched again after the purge: served
    assertNotNull(tiers.l1().get(tagged));
  }

  @Test
  void softPurgeKeepsTheEntryButStale() throws Exception {
    CacheKey key = key("/soft");
    store(key, "surrogate-key", "s");
    awaitOnDisk(key);

    purger.apply(rule(PurgeKind.TAG, "s", true), false);

    CachedResponse inMemory = tiers.l1().get(key);
    assertNotNull(inMemory);
    assertFalse(inMemory.isFresh(clock.instant()));
    CachedResponse fromDisk = tiers.lookupBelowMemory(key).get(5, TimeUnit.SECONDS);
    assertNotNull(fromDisk);
    assertFalse(fromDisk.isFresh(clock.instant()), "stale when read back from disk too");
    assertEquals(Duration.ofMinutes(5), fromDisk.rules().staleWhileRevalidate());
  }

  @Test
  void urlPrefixHostAndAllMatchByKey() {
    List<CacheKey> keys = new ArrayList<>();
    for (String path : List.of("/p/1", "/p/10", "/p/2?x=1", "/q")) {
      keys.add(key(path));
      store(key(path), "surrogate-key", "t");
    }
    CacheKey otherHost = CacheKey.of("http", "other.example", "/p/1");
    store(otherHost, "surrogate-key", "t");

    purger.apply(rule(PurgeKind.URL, "HTTP://Shop.Example/p/1", false), false);
    assertNull(tiers.l1().get(keys.get(0)));
    assertNotNull(tiers.l1().get(keys.get(1)), "exact URL only");

    purger.apply(rule(PurgeKind.PREFIX, "http://shop.example/p/", false), false);
    assertNull(tiers.l1().get(keys.get(1)));
    assertNull(tiers.l1().get(keys.get(2)));
    assertNotNull(tiers.l1().get(keys.get(3)));

    purger.apply(rule(PurgeKind.HOST, "shop.example:8080", false), false);
    assertNull(tiers.l1().get(keys.get(3)), "the port does not matter");
    assertNotNull(tiers.l1().get(otherHost));

    purger.apply(rule(PurgeKind.ALL, "", false), false);
    assertTrue(tiers.l1().uris().isEmpty());
  }

  private static PurgeRule rule(PurgeKind kind, String value, boolean soft) {
    return PurgeRule.of(PurgeCommand.newBuilder().setKind(kind).setValue(value).setSoft(soft).build());
  }

  private static CacheKey key(String pathAndQuery) {
    return CacheKey.of("http", "shop.example", pathAndQuery);
  }

  private void store(CacheKey key, String tagField, String tags) {
    tiers.store(key, new CachedResponse(200,
        HeaderList.of(List.of(new HeaderList.Field(tagField, tags), new HeaderList.Field("etag", "\"1\""))),
        ByteString.copyFromUtf8("body of " + key), clock.instant(), Duration.ZERO, Duration.ofHours(1),
        Map.of(), new ReuseRules(Duration.ofMinutes(5), Duration.ofMinutes(5), false, false, true)));
  }

  private void awaitOnDisk(CacheKey... keys) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    for (CacheKey key : keys) {
      while (!Files.exists(tiers.disk().orElseThrow().fileOf(key.uri()))) {
        assertTrue(System.nanoTime() < deadline, key + " never reached the disk");
        Thread.sleep(5); // polling the asynchronous write, bounded by the deadline
      }
    }
  }
}
