package io.edgecache.extproc.store.tier;

import io.edgecache.extproc.store.EntryCodec;

/**
 * What a tier read found under a key: the whole encoded entry, or, for an entry larger than
 * the reader wanted whole, only its layout (head and where the body lies), so a large body is
 * never pulled into the heap to answer a lookup.
 *
 * @param whole the encoded entry, or null when only the head was read
 * @param layout the entry's head and body offset, or null when {@code whole} is set
 */
public record Found(byte[] whole, EntryCodec.Layout layout) {

  public static Found whole(byte[] encoded) {
    return new Found(encoded, null);
  }

  public static Found headOnly(EntryCodec.Layout layout) {
    return new Found(null, layout);
  }

  public boolean isWhole() {
    return whole != null;
  }

  /** Bytes read from the tier to produce this. */
  public long bytesRead() {
    return whole != null ? whole.length : layout.bodyOffset();
  }
}
