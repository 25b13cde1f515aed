package io.edgecache.extproc.http;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.Locale;

/**
 * HTTP-date parsing (RFC 9110 §5.6.7): IMF-fixdate, and the obsolete RFC 850 and asctime forms
 * that recipients must still accept.
 */
public final class HttpDates {

  private static final DateTimeFormatter IMF_FIXDATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US)
          .withZone(ZoneOffset.UTC);

  // RFC 850 carries a two-digit year; RFC 9110 says to read it as the most recent year with
  // those digits that is not more than 50 years in the future.
  private static final DateTimeFormatter RFC_850 =
      new DateTimeFormatterBuilder()
          .appendPattern("EEEE, dd-MMM-")
          .appendValueReduced(ChronoField.YEAR, 2, 2, 1970)
          .appendPattern(" HH:mm:ss 'GMT'")
          .toFormatter(Locale.US);

  private static final DateTimeFormatter ASCTIME =
      DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.US);

  private HttpDates() {}

  /** Parses an HTTP-date; null when the value is absent or not a valid date. */
  public static Instant parse(String value) {
    if (value == null) {
      return null;
    }
    String text = value.trim();
    try {
      return IMF_FIXDATE.parse(text, Instant::from);
    } catch (DateTimeParseException notImf) {
      // fall through to the obsolete forms
    }
    try {
      return LocalDateTime.parse(text, RFC_850).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException notRfc850) {
      // fall through
    }
    try {
      return LocalDateTime.parse(text, ASCTIME).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException notAsctime) {
      return null;
    }
  }

  /** Formats an instant as an IMF-fixdate. */
  public static String format(Instant instant) {
    return IMF_FIXDATE.format(instant);
  }
}
