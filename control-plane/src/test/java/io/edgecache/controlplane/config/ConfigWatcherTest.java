package io.edgecache.controlplane.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigWatcherTest {

  /**
   * Lays out a directory as the kubelet mounts a ConfigMap (file → ..data/file, ..data → a
   * timestamped directory) and updates it as the kubelet does: a new directory, a ..data_tmp
   * link to it, renamed over ..data. The watcher must see that as a change of the file.
   */
  @Test
  void configMapUpdateBySwappingTheDataLinkIsAChange(@TempDir Path dir) throws Exception {
    Path first = Files.createDirectory(dir.resolve("..2026_12_02_07_00_00.1"));
    Files.writeString(first.resolve("control-plane.yaml"), "version: 1\n");
    Files.createSymbolicLink(dir.resolve("..data"), first.getFileName());
    Path file = dir.resolve("control-plane.yaml");
    Files.createSymbolicLink(file, Path.of("..data", "control-plane.yaml"));

    CountDownLatch changed = new CountDownLatch(1);
    try (ConfigWatcher watcher = new ConfigWatcher(file, Duration.ofMillis(50), changed::countDown)) {
      Path second = Files.createDirectory(dir.resolve("..2026_12_02_07_01_00.2"));
      Files.writeString(second.resolve("control-plane.yaml"), "version: 2\n");
      Path tmp = Files.createSymbolicLink(dir.resolve("..data_tmp"), second.getFileName());
      Files.move(tmp, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);

      assertTrue(changed.await(10, TimeUnit.SECONDS), "no reload after the ..data swap");
      assertEquals("version: 2\n", Files.readString(file));
    }
  }
}
