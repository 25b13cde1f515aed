package io.edgecache.extproc.fields;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Parses a {@code Range: bytes=...} field against a representation length (RFC 9110 §14). */
public final class ByteRanges {

  /** An inclusive byte range, already clipped to the representation. */
  public record Range(long first, long last) {}

  /** Ranges too many to be a sensible request; treated as not satisfiable (RFC 9110 §14.2). */
  private static final int MAX_RANGES = 64;

  private ByteRanges() {}

  /**
   * The complete length a {@code Content-Range: bytes first-last/length} field states, or -1
   * when it is absent, unknown ({@code *}) or malformed.
   */
  public static long completeLength(String contentRange) {
    if (contentRange == null) {
      return -1;
    }
    String value = contentRange.trim();
    int slash = value.lastIndexOf('/');
    if (!value.regionMatches(true, 0, "bytes ", 0, 6) || slash < 0) {
      return -1;
    }
    try {
      long length = Long.parseLong(value.substring(slash + 1).trim());
      return length >= 0 ? length : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * The part a single-part 206 holds, from {@code Content-Range: bytes first-last/length}
   * (RFC 9110 §14.4); null when absent, malformed, of unknown length or not within it.
   */
  public static Part part(String contentRange) {
    long length = completeLength(contentRange);
    if (length < 0) {
      return null;
    }
    String value = contentRange.trim();
    String span = value.substring(6, value.lastIndexOf('/')).trim();
    int dash = span.indexOf('-');
    try {
      long first = Long.parseLong(span.substring(0, dash).trim());
      long last = Long.parseLong(span.substring(dash + 1).trim());
      return first >= 0 && first <= last && last < length ? new Part(first, last, length) : null;
    } catch (NumberFormatException | IndexOutOfBoundsException malformed) {
      return null;
    }
  }

  /** An inclusive byte range of a representation of {@code completeLength} bytes. */
  public record Part(long first, long last, long completeLength) {}

  /**
   * The satisfiable ranges of {@code field} for a representation of {@code length} bytes: null
   * when the field is not a valid bytes range set (the Range is then ignored, §14.2), empty when
   * none is satisfiable (416).
   */
  public static List<Range> parse(String field, long length) {
    if (field == null) {
      return null;
    }
    String value = field.trim();
    if (!value.toLowerCase(Locale.ROOT).startsWith("bytes=")) {
      return null;
    }
    String[] specs = value.substring(6).split(",");
    if (specs.length > MAX_RANGES) {
      return List.of();
    }
    List<Range> ranges = new ArrayList<>();
    for (String raw : specs) {
      String spec = raw.trim();
      int dash = spec.indexOf('-');
      if (dash < 0) {
        return null;
      }
      String firstText = spec.substring(0, dash).trim();
      String lastText = spec.substring(dash + 1).trim();
      try {
        if (firstText.isEmpty()) {
          long suffix = digits(lastText); // bytes=-N: the last N bytes
          if (suffix > 0 && length > 0) {
            ranges.add(new Range(Math.max(0, length - suffix), length - 1));
          }
          continue;
        }
        long first = digits(firstText);
        long last = lastText.isEmpty() ? Long.MAX_VALUE : digits(lastText); // bytes=N-: to the end
        if (last < first) {
          return null; // invalid (§14.1.1), where bytes=N- past the end is only unsatisfiable
        }
        if (first < length) {
          ranges.add(new Range(first, Math.min(last, length - 1)));
        }
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return ranges;
  }

  /**
   * A position as the grammar has it, 1*DIGIT: Long.parseLong would also take a sign, so
   * {@code bytes=--5} read as a suffix of -5 (unsatisfiable, 416) where it is no range at all.
   */
  private static long digits(String text) {
    if (text.isEmpty()) {
      throw new NumberFormatException("no digits");
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        throw new NumberFormatException("not a digit: " + c);
      }
    }
    return Long.parseLong(text); // overflow: NumberFormatException, the field is ignored
  }
}
