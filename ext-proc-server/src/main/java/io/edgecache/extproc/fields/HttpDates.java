package io.edgecache.extproc.fields;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.Year;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTTP-date parsing (RFC 9110 §5.6.7): IMF-fixdate, and the obsolete RFC 850 and asctime forms
 * that recipients must still accept. Day and month names are matched case-insensitively (the
 * RFC's names are ABNF strings, which are case-insensitive), and the day name must be one but
 * is not checked against the date: a wrong weekday does not void an otherwise valid date.
 */
public final class HttpDates {

  private static final DateTimeFormatter IMF_FIXDATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US)
          .withZone(ZoneOffset.UTC);

  private static final List<String> MONTHS = List.of(
      "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec");
  private static final String SHORT_DAY = "(?:mon|tue|wed|thu|fri|sat|sun)";
  private static final String LONG_DAY =
      "(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)";
  private static final String MONTH = "([a-z]{3})";
  private static final String TIME = "(\\d{2}):(\\d{2}):(\\d{2})";

  /** {@code Sun, 06 Nov 1994 08:49:37 GMT}: day, month, year, time. */
  private static final Pattern IMF = Pattern.compile(
      SHORT_DAY + ", (\\d{2}) " + MONTH + " (\\d{4}) " + TIME + " GMT",
      Pattern.CASE_INSENSITIVE);
  /** {@code Sunday, 06-Nov-94 08:49:37 GMT}: day, month, two-digit year, time. */
  private static final Pattern RFC_850 = Pattern.compile(
      LONG_DAY + ", (\\d{2})-" + MONTH + "-(\\d{2}) " + TIME + " GMT",
      Pattern.CASE_INSENSITIVE);
  /** {@code Sun Nov  6 08:49:37 1994}: month, day (space-padded), time, year. */
  private static final Pattern ASCTIME = Pattern.compile(
      SHORT_DAY + " " + MONTH + " ([ \\d]\\d) " + TIME + " (\\d{4})",
      Pattern.CASE_INSENSITIVE);

  private HttpDates() {}

  /** Parses an HTTP-date; null when the value is absent or not a valid date. */
  public static Instant parse(String value) {
    if (value == null) {
      return null;
    }
    String text = value.trim();
    try {
      Matcher m = IMF.matcher(text);
      if (m.matches()) {
        return instant(Integer.parseInt(m.group(3)), m.group(2), m.group(1), m, 4);
      }
      m = RFC_850.matcher(text);
      if (m.matches()) {
        return instant(rfc850Year(Integer.parseInt(m.group(3))), m.group(2), m.group(1), m, 4);
      }
      m = ASCTIME.matcher(text);
      if (m.matches()) {
        return instant(Integer.parseInt(m.group(6)), m.group(1), m.group(2).trim(), m, 3);
      }
    } catch (DateTimeException outOfRange) {
      return null; // e.g. 31 Feb or 25:00:00
    }
    return null;
  }

  /** Formats an instant as an IMF-fixdate. */
  public static String format(Instant instant) {
    return IMF_FIXDATE.format(instant);
  }

  /** The instant of a matched date whose hour, minute and second start at {@code timeGroup}. */
  private static Instant instant(int year, String monthName, String day, Matcher m,
      int timeGroup) {
    int month = MONTHS.indexOf(monthName.toLowerCase(Locale.ROOT)) + 1;
    if (month == 0) {
      return null;
    }
    // RFC 9110 allows a leap second (60); java.time does not, so it counts as :59.
    int second = Math.min(59, Integer.parseInt(m.group(timeGroup + 2)));
    return LocalDateTime.of(year, month, Integer.parseInt(day),
            Integer.parseInt(m.group(timeGroup)), Integer.parseInt(m.group(timeGroup + 1)),
            second)
        .toInstant(ZoneOffset.UTC);
  }

  /**
   * RFC 850's two-digit year is the most recent year with those digits that is not more than
   * 50 years in the future (RFC 9110 §5.6.7).
   */
  private static int rfc850Year(int twoDigits) {
    int thisYear = Year.now(ZoneOffset.UTC).getValue();
    int year = thisYear - thisYear % 100 + twoDigits;
    if (year > thisYear + 50) {
      year -= 100;
    } else if (year <= thisYear - 50) {
      year += 100;
    }
    return year;
  }
}
