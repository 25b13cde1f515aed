package io.edgecache.tests;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * HTTP-dates for the headers tests send, written here rather than taken from the node's own
 * parser: end-to-end tests use only the public entry points.
 */
final class HttpDate {

  /**
   * IMF-fixdate (RFC 9110 §5.6.7). Not {@link DateTimeFormatter#RFC_1123_DATE_TIME}: that one
   * writes a day below 10 with one digit, which IMF-fixdate does not allow.
   */
  private static final DateTimeFormatter IMF_FIXDATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US)
          .withZone(ZoneOffset.UTC);

  private HttpDate() {}

  static String format(Instant instant) {
    return IMF_FIXDATE.format(instant);
  }
}
