package io.edgecache.extproc.store;

import static io.edgecache.extproc.store.StoreFixtures.assertSameEntry;
import static io.edgecache.extproc.store.StoreFixtures.entry;
import static io.edgecache.extproc.store.StoreFixtures.eventually;
import static io.edgecache.extproc.store.StoreFixtures.key;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.cache.CacheKey;
import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.cache.L1Store;
import io.edgecache.extproc.config.TiersConfig;
import io.edgecache.extproc.store.tier.DiskTier;
import io.edgecache.extproc.store.tier.EntryFiles;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Must-show 3: every entry committed to disk is served after a restart, partial writes left
 * by a crash are cleaned, and a corrupted and a truncated file are detected and never served.
 */
class DiskRestartTest {

  private static final int ENTRIES = 200;

  @TempDir Path dir;
  private final Clock clock = Clock.systemUTC();
  /** The node's scheduler: times the tier calls. */
  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stopTimers() {
    timers.shutdownNow();
  }

  @Test
  void committedEntriesSurviveARestartAndDamagedOnesAreDropped() throws Exception {
    TiersConfig config = StoreFixtures.tiers(dir, null, null, null);
    List<CacheKey> keys = new ArrayList<>();
    List<CachedResponse> entries = new ArrayList<>();
    try (TieredStore store = open(config)) {
      for (int i = 0; i < ENTRIES; i++) {
        keys.add(key("/disk/" + i));
        // every tenth is a large object: disk only, not memory
        entries.add(entry(clock.instant(), i % 10 == 0 ? (2 << 20) : 2048, i));
        store.store(keys.get(i), entries.get(i));
      }
      assertTrue(eventually(Duration.ofSeconds(30),
          () -> store.stats("disk").orElseThrow().writes() == ENTRIES), "all committed");
    }
    Path partial = Files.write(dir.resolve("tmp").resolve("crashed.entry.7.tmp"), new byte[100]);

    try (TieredStore store = open(config)) {
      assertFalse(Files.exists(partial), "a crash's partial write is deleted at startup");
      for (int i = 0; i < ENTRIES; i++) {
        assertSameEntry(entries.get(i), store.lookup(keys.get(i)).join());
      }
      assertEquals(ENTRIES, store.stats("disk").orElseThrow().hits(), "100% from disk");
    }

    DiskTier files = DiskTier.open(dir, 1L << 30);
    Path corrupted = files.fileOf(keys.get(1).uri());
    Path truncated = files.fileOf(keys.get(2).uri());
    files.close();
    try (RandomAccessFile file = new RandomAccessFile(corrupted.toFile(), "rw")) {
      long middle = file.length() / 2;
      file.seek(middle);
      int b = file.read();
      file.seek(middle);
      file.write(b ^ 0x01);
    }
    try (RandomAccessFile file = new RandomAccessFile(truncated.toFile(), "rw")) {
      file.setLength(file.length() - 100);
    }

    try (TieredStore store = open(config)) {
      EntryFiles disk = store.disk().orElseThrow();
      disk.rebuilt().join();
      assertEquals(1, disk.corruptFilesDropped(), "the truncated file, found by its length");
      assertFalse(Files.exists(truncated));
      assertNull(store.lookup(keys.get(2)).join());
      // the flipped bit is found by the checksum when the entry is read
      assertNull(store.lookup(keys.get(1)).join());
      assertEquals(1, store.stats("disk").orElseThrow().corrupt());
      assertTrue(eventually(Duration.ofSeconds(5), () -> !Files.exists(corrupted)),
          "the corrupted file is deleted");
      for (int i = 3; i < ENTRIES; i++) {
        assertSameEntry(entries.get(i), store.lookup(keys.get(i)).join());
      }
    }
  }

  @Test
  void theByteBudgetEvictsTheLeastRecentlyUsed() throws Exception {
    byte[] encoded = EntryCodec.encode("k", entry(clock.instant(), 10_000, 1));
    long budget = 10L * encoded.length;
    try (DiskTier disk = DiskTier.open(dir, budget)) {
      disk.rebuilt().join();
      for (int i = 0; i < 10; i++) {
        disk.put("k" + i, encoded, Duration.ofHours(1)).join();
      }
      assertTrue(disk.get("k0", Long.MAX_VALUE).join().isPresent()); // k0 is now the most recently used
      disk.put("k10", encoded, Duration.ofHours(1)).join();
      assertTrue(disk.sizeBytes() <= budget);
      assertTrue(disk.get("k0", Long.MAX_VALUE).join().isPresent(), "recently read: kept");
      assertTrue(disk.get("k1", Long.MAX_VALUE).join().isEmpty(), "least recently used: evicted");
    }
  }

  private TieredStore open(TiersConfig config) throws Exception {
    return TieredStore.open(config, new L1Store(64L << 20, Duration.ofHours(1), clock), clock,
        timers);
  }
}
