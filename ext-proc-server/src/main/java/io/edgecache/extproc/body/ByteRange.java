package io.edgecache.extproc.body;

import java.util.Optional;

/**
 * One byte range of a representation, inclusive at both ends (RFC 9110 §14.1.2). Only single
 * ranges are served; a header with several, or one that does not parse, is ignored and the
 * whole body is served, as RFC 9110 §14.2 allows.
 */
record ByteRange(long first, long last) {

  /** A Range header none of whose ranges overlap the body: answered with 416. */
  static final ByteRange UNSATISFIABLE = new ByteRange(-1, -1);

  public long length() {
    return last - first + 1;
  }

  /** {@code Content-Range} for this range of a body of {@code size} bytes. */
  public String contentRange(long size) {
    return this == UNSATISFIABLE ? "bytes */" + size : "bytes " + first + "-" + last + "/" + size;
  }

  /**
   * The range {@code header} asks of a body of {@code size} bytes: empty when the whole body
   * is to be served, {@link #UNSATISFIABLE} when the range lies outside it.
   */
  static Optional<ByteRange> parse(String header, long size) {
    if (header == null || !header.startsWith("bytes=") || header.indexOf(',') >= 0) {
      return Optional.empty();
    }
    String spec = header.substring("bytes=".length()).trim();
    int dash = spec.indexOf('-');
    if (dash < 0) {
      return Optional.empty();
    }
    try {
      if (dash == 0) { // suffix: the last N bytes
        long suffix = Long.parseLong(spec.substring(1));
        if (suffix <= 0 || size == 0) {
          return Optional.of(UNSATISFIABLE);
        }
        return Optional.of(new ByteRange(Math.max(0, size - suffix), size - 1));
      }
      long first = Long.parseLong(spec.substring(0, dash));
      boolean open = dash == spec.length() - 1;
      long last = open ? Long.MAX_VALUE : Long.parseLong(spec.substring(dash + 1));
      if (first < 0 || last < first) {
        return Optional.empty();
      }
      if (first >= size) {
        return Optional.of(UNSATISFIABLE);
      }
      return Optional.of(new ByteRange(first, Math.min(last, size - 1)));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
