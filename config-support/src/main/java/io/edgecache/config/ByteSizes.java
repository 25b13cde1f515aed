package io.edgecache.config;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one byte-size grammar: a non-negative integer with an optional binary unit,
 * {@code 1024}, {@code 1024B}, {@code 64KiB}, {@code 512MiB}, {@code 1GiB}, {@code 1TiB}.
 * {@code KB}, {@code MB}, {@code GB} and {@code TB} are read as their binary namesakes, as the
 * cache node always has, so a file written for it keeps its meaning.
 */
public final class ByteSizes {
  private static final Pattern BYTES =
      Pattern.compile("(\\d+)\\s*(B|KiB|MiB|GiB|TiB|KB|MB|GB|TB)?");

  private ByteSizes() {}

  /** Parses {@code text}; a malformed or overflowing value throws with the grammar's examples. */
  public static long parse(String text) {
    Matcher m = BYTES.matcher(text.trim());
    if (m.matches()) {
      int shift = m.group(2) == null ? 0 : switch (m.group(2)) {
        case "KiB", "KB" -> 10;
        case "MiB", "MB" -> 20;
        case "GiB", "GB" -> 30;
        case "TiB", "TB" -> 40;
        default -> 0;
      };
      try {
        return Math.multiplyExact(Long.parseLong(m.group(1)), 1L << shift);
      } catch (ArithmeticException | NumberFormatException e) {
        // more than 8 EiB: reported below
      }
    }
    throw new IllegalArgumentException(
        "'" + text + "' is not a byte size (examples: 1048576, 64KiB, 512MiB, 1GiB)");
  }
}
