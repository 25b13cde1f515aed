package io.edgecache.extproc.store;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.edgecache.extproc.cache.CachedResponse;
import java.nio.file.Path;
import java.time.Duration;

/**
 * An entry on its way to the lower tiers. It is encoded once, by the first tier writer that
 * needs the bytes, so the thread that stored it (a gRPC transport thread) never pays for it.
 * An entry promoted from a tier arrives already encoded; a large one recorded to disk is
 * uploaded from its entry file.
 */
final class PendingWrite {

  final String key;
  /** How long tiers that expire entries should keep it, from when it was queued. */
  final Duration timeToKeep;
  /** The encoded entry's file and length when it is written from disk, else null and 0. */
  final Path file;
  final long fileLength;
  @GuardedBy("this")
  private CachedResponse entry;
  @GuardedBy("this")
  private byte[] encoded;

  PendingWrite(String key, CachedResponse entry, byte[] encoded, Duration timeToKeep) {
    this(key, entry, encoded, timeToKeep, null, 0);
  }

  private PendingWrite(String key, CachedResponse entry, byte[] encoded, Duration timeToKeep,
      Path file, long fileLength) {
    this.key = key;
    this.entry = entry;
    this.encoded = encoded;
    this.timeToKeep = timeToKeep;
    this.file = file;
    this.fileLength = fileLength;
  }

  /** Heap the write holds until it is sent: its body and headers, or nothing for a file. */
  long heapBytes() {
    if (file != null) {
      return 0;
    }
    synchronized (this) {
      return encoded != null ? encoded.length : entry.bodyLength() + entry.headers().byteSize();
    }
  }

  /** A write of the encoded entry in {@code file}, read as it is sent. */
  static PendingWrite ofFile(String key, Path file, long length, Duration timeToKeep) {
    return new PendingWrite(key, null, null, timeToKeep, file, length);
  }

  synchronized byte[] encoded() {
    if (encoded == null) {
      encoded = EntryCodec.encode(key, entry);
    }
    entry = null; // the bytes are all the tiers need from now on
    return encoded;
  }
}
