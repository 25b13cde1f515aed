package io.edgecache.extproc.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.store.tier.DiskTier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The disk tier's Caffeine index: the byte budget is kept and what it evicts leaves the disk. */
class DiskTierIndexTest {

  @TempDir Path dir;

  @Test
  void evictsByBytesAndDeletesTheEvictedFiles() throws Exception {
    byte[] encoded = encoded(4_000);
    long budget = 3L * encoded.length;
    try (DiskTier disk = DiskTier.open(dir, budget)) {
      disk.rebuilt().join();
      for (int i = 0; i < 8; i++) {
        disk.put("k" + i, encoded, Duration.ofHours(1)).join();
        assertTrue(disk.sizeBytes() <= budget, "within the budget after write " + i);
      }
      assertEquals(3L * encoded.length, disk.sizeBytes());
      assertEquals(disk.sizeBytes(), bytesOnDisk(), "every evicted file is deleted");
      long kept = Stream.iterate(0, i -> i + 1).limit(8).filter(i -> disk.has("k" + i)).count();
      assertEquals(3, kept);
    }
  }

  @Test
  void removeDeletesTheFileAndReleasesItsBytes() throws Exception {
    byte[] encoded = encoded(1_000);
    try (DiskTier disk = DiskTier.open(dir, 1L << 20)) {
      disk.rebuilt().join();
      disk.put("a", encoded, Duration.ofHours(1)).join();
      disk.put("b", encoded, Duration.ofHours(1)).join();
      disk.remove("a").join();
      assertFalse(disk.has("a"));
      assertTrue(disk.get("a", Long.MAX_VALUE).join().isEmpty());
      assertEquals(encoded.length, disk.sizeBytes());
      assertEquals(encoded.length, bytesOnDisk());
    }
  }

  @Test
  void aRestartWithASmallerBudgetEvictsDownToIt() throws Exception {
    byte[] encoded = encoded(2_000);
    try (DiskTier disk = DiskTier.open(dir, 1L << 20)) {
      for (int i = 0; i < 6; i++) {
        disk.put("k" + i, encoded, Duration.ofHours(1)).join();
      }
    }
    long budget = 2L * encoded.length;
    try (DiskTier disk = DiskTier.open(dir, budget)) {
      disk.rebuilt().join();
      assertEquals(budget, disk.sizeBytes());
      assertEquals(budget, bytesOnDisk(), "the rebuild deleted what exceeds the budget");
    }
  }

  private long bytesOnDisk() throws IOException {
    try (Stream<Path> files = Files.list(dir.resolve("entries"))) {
      return files.mapToLong(file -> file.toFile().length()).sum();
    }
  }

  private static byte[] encoded(int bodyBytes) {
    return EntryCodec.encode("k", StoreFixtures.entry(java.time.Instant.now(), bodyBytes, 1));
  }
}
