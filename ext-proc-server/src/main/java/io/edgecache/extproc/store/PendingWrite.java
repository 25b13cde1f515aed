package io.edgecache.extproc.store;

import io.edgecache.extproc.cache.CachedResponse;
import java.time.Duration;

/**
 * An entry on its way to the lower tiers. It is encoded once, by the first tier writer that
 * needs the bytes, so the thread that stored it (a gRPC transport thread) never pays for it.
 * An entry promoted from a tier arrives already encoded.
 */
final class PendingWrite {

  final String key;
  /** How long tiers that expire entries should keep it, from when it was queued. */
  final Duration timeToKeep;
  private CachedResponse entry;
  private byte[] encoded;

  PendingWrite(String key, CachedResponse entry, byte[] encoded, Duration timeToKeep) {
    this.key = key;
    this.entry = entry;
    this.encoded = encoded;
    this.timeToKeep = timeToKeep;
  }

  synchronized byte[] encoded() {
    if (encoded == null) {
      encoded = EntryCodec.encode(key, entry);
    }
    entry = null; // the bytes are all the tiers need from now on
    return encoded;
  }
}
