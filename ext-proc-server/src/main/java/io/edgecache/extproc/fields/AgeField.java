package io.edgecache.extproc.fields;

import java.time.Duration;

/**
 * The Age field (RFC 9111 §5.1). It is a single delta-seconds, but a list value (for example
 * two Age lines joined, {@code 7200, 0}) must be read by its first member; an invalid value is
 * ignored, which is the same as no Age at all.
 */
public final class AgeField {

  private AgeField() {}

  /** The age the field states; zero when absent or invalid. */
  public static Duration value(HeaderList headers) {
    String value = headers.joined("age");
    if (value == null) {
      return Duration.ZERO;
    }
    int comma = value.indexOf(',');
    String first = (comma < 0 ? value : value.substring(0, comma)).trim();
    long seconds = CacheControl.parseDeltaSeconds(first);
    return seconds == CacheControl.INVALID ? Duration.ZERO : Duration.ofSeconds(seconds);
  }
}
