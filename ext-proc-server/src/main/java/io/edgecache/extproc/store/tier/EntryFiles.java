package io.edgecache.extproc.store.tier;

import io.edgecache.extproc.store.EntryHead;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A tier that keeps each entry as a file on this node (the disk): large bodies are recorded to
 * it and streamed from it, and entries found in a remote tier are copied to it.
 */
public interface EntryFiles {

  /** Whether an entry file for {@code key} exists: one stat, no read. */
  boolean has(String key);

  /** The file that holds (or would hold) the entry under {@code key}. */
  Path fileOf(String key);

  /**
   * Starts recording a body; at most {@code maxPendingBytes} of it wait in memory, beyond that
   * (or when a write fails) the spool gives up and tells {@code onGivingUp}.
   */
  BodySpool openSpool(long maxPendingBytes, Runnable onGivingUp);

  /** Opens the entry under {@code key} for streaming its body; empty when there is none. */
  CompletableFuture<Optional<DiskTier.EntryFile>> openBody(String key);

  /** Stores an entry whose body is read from {@code body} as it is written. */
  CompletableFuture<Void> putStream(EntryHead head, InputStream body);

  /** Stores an encoded entry read from {@code encoded} ({@code length} bytes), verified. */
  CompletableFuture<Void> putEncoded(String key, InputStream encoded, long length);

  /** Completes when the index holds every entry file that was there at startup. */
  CompletableFuture<Void> rebuilt();

  /** Entry files found corrupt or truncated (and deleted). */
  long corruptFilesDropped();
}
