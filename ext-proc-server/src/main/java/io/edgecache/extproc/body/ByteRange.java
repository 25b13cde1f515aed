package io.edgecache.extproc.body;

import io.edgecache.extproc.fields.ByteRanges;
import java.util.List;
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
   * is to be served (no valid Range, or several ranges), {@link #UNSATISFIABLE} when none of
   * its ranges overlaps the body. Parsed as the ext_proc hit path parses it ({@link
   * ByteRanges#parse}), so both answer a Range alike.
   */
  static Optional<ByteRange> parse(String header, long size) {
    List<ByteRanges.Range> ranges = ByteRanges.parse(header, size);
    if (ranges == null || ranges.size() > 1) {
      return Optional.empty();
    }
    if (ranges.isEmpty()) {
      return Optional.of(UNSATISFIABLE);
    }
    return Optional.of(new ByteRange(ranges.get(0).first(), ranges.get(0).last()));
  }
}
