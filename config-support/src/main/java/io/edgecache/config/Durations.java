package io.edgecache.config;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one duration grammar: a non-negative decimal number and a unit, {@code 250us},
 * {@code 500ms}, {@code 0.5s}, {@code 15s}, {@code 2m}, {@code 1h}, {@code 1d}; units are case
 * insensitive and may follow a space. A bare number is rejected: no field is unitless, and
 * "30" meaning seconds in one file and milliseconds in another is the mistake this prevents.
 */
public final class Durations {
  private static final Pattern DURATION =
      Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(us|ms|s|m|h|d)");

  private Durations() {}

  /** Parses {@code text}; a malformed value throws with a message that shows the grammar. */
  public static Duration parse(String text) {
    Matcher m = DURATION.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (m.matches()) {
      BigDecimal nanosPerUnit = BigDecimal.valueOf(switch (m.group(2)) {
        case "us" -> 1_000L;
        case "ms" -> 1_000_000L;
        case "s" -> 1_000_000_000L;
        case "m" -> 60_000_000_000L;
        case "h" -> 3_600_000_000_000L;
        default -> 86_400_000_000_000L;
      });
      try {
        return Duration.ofNanos(new BigDecimal(m.group(1)).multiply(nanosPerUnit).longValueExact());
      } catch (ArithmeticException e) {
        // a fraction of a nanosecond or beyond ~292 years: reported below
      }
    }
    throw new IllegalArgumentException(
        "'" + text + "' is not a duration (examples: 250us, 500ms, 0.5s, 15s, 2m, 1h, 1d)");
  }
}
