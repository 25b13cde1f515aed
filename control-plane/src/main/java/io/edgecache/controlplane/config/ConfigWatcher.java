package io.edgecache.controlplane.config;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Watches a configuration file (through its directory, so editors that replace the file by
 * renaming are seen) or a configuration directory, and calls {@code onChange} once a burst of
 * changes has been quiet for the debounce interval: an editor's truncate-then-write, or several
 * files saved together, become one reload.
 */
public final class ConfigWatcher implements AutoCloseable {
  private static final Logger log = Logger.getLogger(ConfigWatcher.class.getName());

  private final WatchService watchService;
  private final Path directory;
  private final Path file;
  private final Duration debounce;
  private final Runnable onChange;
  private final Thread thread;

  /**
   * A mounted ConfigMap's files are symlinks through {@code ..data}; the kubelet updates them by
   * swapping that one link, so the only event in the directory names {@code ..data}, not a file.
   */
  static final String KUBERNETES_DATA_LINK = "..data";

  /**
   * Starts watching {@code source}; {@code onChange} runs on the watcher's own thread.
   */
  public ConfigWatcher(Path source, Duration debounce, Runnable onChange) throws IOException {
    Path absolute = source.toAbsolutePath().normalize();
    this.directory = Files.isDirectory(absolute) ? absolute : absolute.getParent();
    this.file = Files.isDirectory(absolute) ? null : absolute.getFileName();
    this.debounce = debounce;
    this.onChange = onChange;
    this.watchService = FileSystems.getDefault().newWatchService();
    directory.register(watchService, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
        StandardWatchEventKinds.ENTRY_DELETE);
    this.thread = new ThreadFactoryBuilder().setNameFormat("config-watcher").setDaemon(true).build()
        .newThread(this::run);
    thread.start();
  }

  private void run() {
    try {
      while (true) {
        boolean relevant = drain(watchService.take());
        // Debounce: keep collecting until no event arrives for the whole interval.
        WatchKey next;
        while ((next = watchService.poll(debounce.toMillis(), TimeUnit.MILLISECONDS)) != null) {
          relevant |= drain(next);
        }
        if (relevant) {
          try {
            onChange.run();
          } catch (RuntimeException e) {
            log.log(Level.WARNING, "reloading the configuration failed", e);
          }
        }
      }
    } catch (InterruptedException | ClosedWatchServiceException e) {
      // closed
    }
  }

  /** Consumes the key's events; true when one concerns the configuration. */
  private boolean drain(WatchKey key) {
    boolean relevant = false;
    for (WatchEvent<?> event : key.pollEvents()) {
      if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
        relevant = true;
        continue;
      }
      String name = event.context().toString();
      relevant |= name.equals(KUBERNETES_DATA_LINK)
          || (file == null ? name.matches(".*\\.ya?ml") : name.equals(file.toString()));
    }
    key.reset();
    return relevant;
  }

  @Override
  public void close() throws IOException {
    watchService.close();
    thread.interrupt();
  }
}
