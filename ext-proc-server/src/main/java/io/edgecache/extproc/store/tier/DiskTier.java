package io.edgecache.extproc.store.tier;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.edgecache.extproc.store.CorruptEntryException;
import io.edgecache.extproc.store.EntryCodec;
import io.edgecache.extproc.store.EntryHead;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * L2: one file per entry under {@code root/entries}, named by the SHA-256 of the key.
 *
 * <p>Writes go to {@code root/tmp} and are renamed into place, so a reader sees a whole file or
 * none; whatever a crash left in {@code tmp} is deleted at startup. The byte budget is kept by
 * evicting files by Caffeine's size policy over an index of file sizes (weighed in bytes), which
 * keeps what is read and written often. The index is rebuilt from the files in the background,
 * so a restart serves at once: reads go to the file by name and do not need the index. Files whose head or length is wrong are deleted and
 * counted; a bad checksum is found when the entry is decoded by the reader.
 */
public final class DiskTier implements Tier, EntryFiles {

  private static final Logger log = Logger.getLogger(DiskTier.class.getName());
  private static final String SUFFIX = ".entry";

  private final Path entries;
  private final Path tmp;
  private final long maxBytes;
  private final ExecutorService io;
  private final CompletableFuture<Void> rebuilt;
  private final LongAdder corruptFilesDropped = new LongAdder();
  private final AtomicInteger tmpCounter = new AtomicInteger();

  /**
   * File name → file size, bounded by the byte budget. A file is renamed into place and deleted
   * only inside a compute on its own name, and evicted files are deleted by the eviction
   * listener, which Caffeine runs inside the eviction's atomic removal of that name: so an
   * eviction can never delete a file a concurrent write of the same name has just renamed into
   * place. Maintenance (and so eviction) runs on the calling thread ({@code Runnable::run}),
   * which is always one of this tier's I/O threads: deleting files is disk I/O and belongs
   * there, not on the common pool, and the budget holds when a write completes.
   */
  private final Cache<String, Long> index;

  private DiskTier(Path root, long maxBytes) throws IOException {
    this.entries = Files.createDirectories(root.resolve("entries"));
    this.tmp = Files.createDirectories(root.resolve("tmp"));
    this.maxBytes = maxBytes;
    this.index = Caffeine.newBuilder()
        .maximumWeight(maxBytes)
        // weights are ints: a file over 2 GiB counts as 2 GiB
        .weigher((String name, Long size) -> (int) Math.min(Integer.MAX_VALUE, size))
        .executor(Runnable::run)
        .evictionListener((String name, Long size, RemovalCause cause) ->
            deleteQuietly(entries.resolve(name)))
        .build();
    this.io = Executors.newFixedThreadPool(2,
        new ThreadFactoryBuilder().setNameFormat("edgecache-disk-%d").setDaemon(true).build());
    this.rebuilt = CompletableFuture.runAsync(this::rebuildIndex, io);
  }

  /**
   * Opens the tier at {@code root} (created when missing), deleting partial writes a crash
   * left behind. Returns before the index is rebuilt; see {@link #rebuilt()}.
   */
  public static DiskTier open(Path root, long maxBytes) throws IOException {
    Files.createDirectories(root);
    deletePartialWrites(root.resolve("tmp"));
    return new DiskTier(root, maxBytes);
  }

  @Override
  public String name() {
    return "disk";
  }

  @Override
  public Optional<EntryFiles> files() {
    return Optional.of(this);
  }

  @Override
  public CompletableFuture<Void> rebuilt() {
    return rebuilt;
  }

  /** Entry files found corrupt or truncated (and deleted) by the index rebuild or a stream. */
  @Override
  public long corruptFilesDropped() {
    return corruptFilesDropped.sum();
  }

  /** Bytes of the indexed entry files. */
  public long sizeBytes() {
    return index.policy().eviction().orElseThrow().weightedSize().orElse(0);
  }

  @Override
  public boolean has(String key) {
    return Files.exists(entries.resolve(fileName(key)));
  }

  @Override
  public Path fileOf(String key) {
    return entries.resolve(fileName(key));
  }

  @Override
  public CompletableFuture<Optional<Found>> get(String key, long wholeUpTo) {
    return CompletableFuture.supplyAsync(() -> {
      String name = fileName(key);
      try (FileChannel channel = FileChannel.open(entries.resolve(name), StandardOpenOption.READ)) {
        long size = channel.size();
        // A file no longer than wholeUpTo cannot hold a longer body: read it without the head.
        EntryCodec.Layout layout = size <= wholeUpTo ? null : checkedLayout(key, channel);
        Found found = layout != null && layout.head().bodyLength() > wholeUpTo
            ? Found.headOnly(layout)
            : Found.whole(readAll(channel, size));
        touch(name);
        return Optional.of(found);
      } catch (NoSuchFileException e) {
        return Optional.empty();
      } catch (CorruptEntryException e) {
        dropCorrupt(name, e.getMessage());
        return Optional.empty();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, io);
  }

  @Override
  public CompletableFuture<Void> put(String key, byte[] encoded, Duration timeToKeep) {
    return CompletableFuture.runAsync(
        () -> commit(key, encoded.length, out -> out.write(encoded)), io);
  }

  /**
   * Stores an entry whose body is read from {@code body} as it is written, so its size is
   * bounded by the disk, not the heap.
   */
  @Override
  public CompletableFuture<Void> putStream(EntryHead head, InputStream body) {
    return CompletableFuture.runAsync(
        () -> commit(head.key(), head.bodyLength(), out -> EntryCodec.write(out, head, body)),
        io);
  }

  /**
   * Stores an already-encoded entry read from {@code encoded} (another tier's copy), verifying
   * it as it is written: a corrupt copy is never renamed into place. {@code length} is the
   * entry's encoded length, for the budget. The stream is read on the tier's I/O thread and
   * closed.
   */
  @Override
  public CompletableFuture<Void> putEncoded(String key, InputStream encoded, long length) {
    return CompletableFuture.runAsync(() -> {
      try (encoded) {
        commit(key, length, out -> EntryCodec.copyVerified(encoded, out, key));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, io);
  }

  @Override
  public CompletableFuture<Void> remove(String key) {
    return CompletableFuture.runAsync(() -> delete(fileName(key)), io);
  }

  /**
   * Opens the entry under {@code key} for streaming its body. Its head and length are checked
   * (a truncated file is deleted and reported as absent); the body checksum is not, since a
   * range read does not see the whole body.
   */
  @Override
  public CompletableFuture<Optional<EntryFile>> openBody(String key) {
    return CompletableFuture.supplyAsync(() -> {
      String name = fileName(key);
      FileChannel channel;
      try {
        channel = FileChannel.open(entries.resolve(name), StandardOpenOption.READ);
      } catch (NoSuchFileException e) {
        return Optional.empty();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      try {
        EntryCodec.Layout layout = checkedLayout(key, channel);
        touch(name);
        return Optional.of(new EntryFile(layout.head(), channel, layout.bodyOffset()));
      } catch (IOException e) {
        closeQuietly(channel);
        if (e instanceof CorruptEntryException) {
          dropCorrupt(name, e.getMessage());
          return Optional.empty();
        }
        throw new UncheckedIOException(e);
      }
    }, io);
  }

  /** Up to {@code size} bytes from the start; fewer when the file is shorter (truncated). */
  private static byte[] readAll(FileChannel channel, long size) throws IOException {
    if (size > Integer.MAX_VALUE - 8) {
      throw new IOException("entry file of " + size + " bytes cannot be read whole");
    }
    ByteBuffer bytes = ByteBuffer.allocate((int) size);
    channel.position(0);
    while (bytes.hasRemaining() && channel.read(bytes) >= 0) {
      // until full, or the end of a file shortened meanwhile
    }
    return bytes.hasRemaining() ? Arrays.copyOf(bytes.array(), bytes.position()) : bytes.array();
  }

  /** The layout of the entry file open on {@code channel}, checked against its size and key. */
  private static EntryCodec.Layout checkedLayout(String key, FileChannel channel)
      throws IOException {
    return EntryCodec.readHead(
            new BufferedInputStream(Channels.newInputStream(channel.position(0))))
        .requireStored("file", channel.size(), key);
  }

  /** An open entry file: its head and where its body lies in the channel. */
  public record EntryFile(EntryHead head, FileChannel channel, long bodyOffset)
      implements AutoCloseable {
    @Override
    public void close() {
      closeQuietly(channel);
    }
  }

  /**
   * Stops the tier's I/O and waits for it: an index rebuild still scanning after close could
   * otherwise delete files that the next owner of the directory is about to use.
   */
  @Override
  public void close() {
    io.shutdownNow();
    try {
      if (!io.awaitTermination(10, TimeUnit.SECONDS)) {
        log.warning("disk tier: I/O still running 10 s after close");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  interface Writer {
    void writeTo(OutputStream out) throws IOException;
  }

  /**
   * Starts recording a body to a spool file under {@code tmp}; at most {@code maxPendingBytes}
   * of it may wait in memory for the disk.
   */
  @Override
  public BodySpool openSpool(long maxPendingBytes, Runnable onGivingUp) {
    Path file = tmp.resolve("spool-" + tmpCounter.incrementAndGet() + ".body");
    return new BodySpool(this, file, io, maxPendingBytes, onGivingUp);
  }

  /**
   * Writes an entry file through {@code writer} to a temporary file and renames it in place;
   * returns the file's length.
   */
  long commit(String key, long approximateBytes, Writer writer) {
    if (approximateBytes > maxBytes) {
      throw new CompletionException(new IOException(
          "entry of " + approximateBytes + " bytes exceeds the disk tier's " + maxBytes));
    }
    String name = fileName(key);
    Path temp = tmp.resolve(name + "." + tmpCounter.incrementAndGet() + ".tmp");
    try {
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(temp), 1 << 16)) {
        writer.writeTo(out);
      }
      long size = Files.size(temp);
      index.asMap().compute(name, (same, previous) -> {
        moveIntoPlace(temp, name);
        return size;
      });
      return size;
    } catch (IOException e) {
      deleteQuietly(temp);
      throw new UncheckedIOException(e);
    } catch (UncheckedIOException e) { // from moveIntoPlace
      deleteQuietly(temp);
      throw e;
    }
  }

  private void moveIntoPlace(Path temp, String name) {
    try {
      Files.move(temp, entries.resolve(name), StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Records a read, for the eviction policy. */
  private void touch(String name) {
    index.getIfPresent(name);
  }

  private void delete(String name) {
    index.asMap().compute(name, (same, size) -> {
      deleteQuietly(entries.resolve(name));
      return null;
    });
  }

  private void dropCorrupt(String name, String why) {
    corruptFilesDropped.increment();
    log.warning("disk tier: deleting corrupt entry file " + entries.resolve(name) + ": " + why);
    delete(name);
  }

  /** Indexes the files present at startup, oldest first so they are evicted first. */
  private void rebuildIndex() {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(entries, "*" + SUFFIX)) {
      dir.forEach(files::add);
    } catch (IOException e) {
      log.log(Level.WARNING, "disk tier: cannot list " + entries, e);
      return;
    }
    files.sort(Comparator.comparingLong(DiskTier::modifiedMillis));
    for (Path file : files) {
      String name = file.getFileName().toString();
      try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 4096)) {
        EntryCodec.Layout layout = EntryCodec.readHead(in);
        long size = Files.size(file);
        if (layout.totalLength() != size) {
          throw new CorruptEntryException(
              "file is " + size + " bytes, its head says " + layout.totalLength());
        }
        index.asMap().putIfAbsent(name, size); // a write since startup is newer
      } catch (CorruptEntryException e) {
        dropCorrupt(name, e.getMessage());
      } catch (NoSuchFileException e) {
        // removed or replaced since it was listed
      } catch (IOException e) {
        log.log(Level.WARNING, "disk tier: cannot read " + file, e);
      }
    }
    index.cleanUp(); // evicts what exceeds the budget now, not at the next write
    log.fine(() -> "disk tier: indexed " + files.size() + " files under " + entries);
  }

  private static void deletePartialWrites(Path tmp) throws IOException {
    if (!Files.isDirectory(tmp)) {
      return;
    }
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(tmp)) {
      for (Path partial : dir) {
        Files.deleteIfExists(partial);
      }
    }
  }

  static String fileName(String key) {
    return KeyDigest.sha256Hex(key) + SUFFIX;
  }

  private static long modifiedMillis(Path file) {
    try {
      return Files.getLastModifiedTime(file).toMillis();
    } catch (IOException e) {
      return 0;
    }
  }

  static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      log.log(Level.FINE, "disk tier: cannot delete " + file, e);
    }
  }

  private static void closeQuietly(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      log.log(Level.FINE, "disk tier: close failed", e);
    }
  }
}
