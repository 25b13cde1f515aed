package io.edgecache.extproc.testing;

import java.io.InputStream;

/**
 * A body of any length made up on the fly, never held whole: byte {@code p} is a function of
 * {@code p}, so a reordered or shifted byte shows.
 */
public final class PatternBytes extends InputStream {

  private final long length;
  private long position;

  public PatternBytes(long length) {
    this.length = length;
  }

  public static byte at(long position) {
    return (byte) (position * 31 + (position >>> 13));
  }

  @Override
  public int read() {
    return position < length ? at(position++) & 0xff : -1;
  }

  @Override
  public int read(byte[] buffer, int offset, int count) {
    if (position >= length) {
      return -1;
    }
    int n = (int) Math.min(count, length - position);
    for (int i = 0; i < n; i++) {
      buffer[offset + i] = at(position++);
    }
    return n;
  }

  @Override
  public int available() {
    return (int) Math.min(Integer.MAX_VALUE, length - position);
  }
}
