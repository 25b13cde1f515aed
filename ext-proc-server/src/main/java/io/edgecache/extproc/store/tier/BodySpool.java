package io.edgecache.extproc.store.tier;

import com.google.protobuf.ByteString;
import io.edgecache.extproc.store.EntryCodec;
import io.edgecache.extproc.store.EntryHead;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A response body recorded to disk while it streams to the client, so a body larger than the
 * heap can be stored. Chunks are written in order on the disk tier's I/O threads and the
 * recording thread never waits for the disk; at most {@code maxPendingBytes} may wait to be
 * written, beyond that the spool gives up rather than hold the body in memory. The spool holds
 * the raw body; {@link #commit} encodes it with its head as an entry file of the disk tier.
 *
 * <p>Not thread-safe by design: every call comes from one recording exchange, whose serial
 * executor runs its tasks one at a time with a happens-before edge between them (see
 * {@code io.edgecache.extproc.concurrent.SerialExecutor}); the disk work itself runs on
 * {@code io}, chained through {@code out}.
 */
public final class BodySpool {

  private final DiskTier disk;
  private final Path file;
  private final Executor io;
  private final long maxPendingBytes;
  /** Told when the spool gives up (the disk tier counts it as a shed write). */
  private final Runnable onGivingUp;
  private final AtomicLong pendingBytes = new AtomicLong();
  private CompletableFuture<OutputStream> out;
  private long length;
  private boolean ended;

  BodySpool(DiskTier disk, Path file, Executor io, long maxPendingBytes, Runnable onGivingUp) {
    this.disk = disk;
    this.file = file;
    this.io = io;
    this.maxPendingBytes = maxPendingBytes;
    this.onGivingUp = onGivingUp;
    this.out = CompletableFuture.supplyAsync(() -> {
      try {
        return new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, io);
  }

  /**
   * Queues a chunk for writing. False when the spool has given up (a write failed, or the disk
   * fell {@code maxPendingBytes} behind); it is then abandoned and deleted.
   */
  public boolean append(ByteString chunk) {
    if (ended) {
      return false;
    }
    if (out.isCompletedExceptionally()
        || pendingBytes.addAndGet(chunk.size()) > maxPendingBytes) {
      onGivingUp.run();
      abandon();
      return false;
    }
    length += chunk.size();
    out = out.thenApplyAsync(stream -> {
      try {
        chunk.writeTo(stream);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } finally {
        pendingBytes.addAndGet(-chunk.size());
      }
      return stream;
    }, io);
    return true;
  }

  /** Body bytes appended so far. */
  public long length() {
    return length;
  }

  /**
   * Stores the spooled body under {@code head} as an entry file (atomically, as every disk
   * write) and deletes the spool; completes with the entry file's length. Fails when a write
   * failed or the body's length is not the head's.
   */
  public CompletableFuture<Long> commit(EntryHead head) {
    ended = true;
    if (head.bodyLength() != length) {
      abandon();
      return CompletableFuture.failedFuture(new IOException("spooled " + length
          + " body bytes of " + head.key() + ", its head says " + head.bodyLength()));
    }
    return out.thenApplyAsync(stream -> {
      try {
        stream.close();
        return disk.commit(head.key(), head.bodyLength(), entry -> {
          try (InputStream body = Files.newInputStream(file)) {
            EntryCodec.write(entry, head, body);
          }
        });
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, io).whenCompleteAsync((done, error) -> delete(), io);
  }

  /** Drops what was spooled; nothing is stored. */
  public void abandon() {
    ended = true;
    out.whenCompleteAsync((stream, error) -> {
      if (stream != null) {
        try {
          stream.close();
        } catch (IOException e) {
          // the file is deleted next
        }
      }
      delete();
    }, io);
  }

  private void delete() {
    DiskTier.deleteQuietly(file); // a leftover in tmp is removed at the next start
  }
}
