package io.edgecache.extproc.fields;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Instant;
import java.time.Year;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** HTTP-date (RFC 9110 §5.6.7): three formats, names case-insensitive, weekday not checked. */
class HttpDatesTest {

  private static final Instant NOV_6_1994 = Instant.parse("1994-11-06T08:49:37Z");

  @ParameterizedTest
  @ValueSource(strings = {
      "Sun, 06 Nov 1994 08:49:37 GMT", // IMF-fixdate
      "Sunday, 06-Nov-94 08:49:37 GMT", // RFC 850
      "Sun Nov  6 08:49:37 1994", // asctime
      "sun, 06 nov 1994 08:49:37 gmt", // names are case-insensitive
      "SUNDAY, 06-NOV-94 08:49:37 GMT",
      "SUN NOV  6 08:49:37 1994",
      "Wed, 06 Nov 1994 08:49:37 GMT", // a wrong weekday does not void the date
      "Friday, 06-Nov-94 08:49:37 GMT",
      "Mon Nov  6 08:49:37 1994",
      "  Sun, 06 Nov 1994 08:49:37 GMT ", // surrounding whitespace of the field value
  })
  void parsesAllThreeFormats(String value) {
    assertEquals(NOV_6_1994, HttpDates.parse(value));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "0", "tomorrow", "",
      "Sun, 06 Nov 1994 08:49:37", // no GMT
      "Sun, 06 Nov 1994 08:49:37 UTC",
      "Sun, 6 Nov 1994 08:49:37 GMT", // IMF-fixdate's day has two digits
      "Xyz, 06 Nov 1994 08:49:37 GMT", // not a day name
      "Sun, 06 Nox 1994 08:49:37 GMT", // not a month name
      "Sun, 31 Feb 1994 08:49:37 GMT", // no such day
      "Sun, 06 Nov 1994 25:49:37 GMT",
      "Sun, 06 Nov 1994 08:49:37 GMT trailing",
      "1994-11-06T08:49:37Z",
  })
  void rejectsWhatIsNotAnHttpDate(String value) {
    assertNull(HttpDates.parse(value));
  }

  @Test
  void absentIsNull() {
    assertNull(HttpDates.parse(null));
  }

  @Test
  void leapSecondCountsAsTheLastSecondOfTheMinute() {
    assertEquals(Instant.parse("1998-12-31T23:59:59Z"),
        HttpDates.parse("Thu, 31 Dec 1998 23:59:60 GMT"));
  }

  @Test
  void rfc850YearIsTheMostRecentNotMoreThan50YearsAhead() {
    int thisYear = Year.now(ZoneOffset.UTC).getValue();
    int ahead = (thisYear + 50) % 100;
    int beyond = (thisYear + 51) % 100;
    assertEquals(thisYear + 50, yearOf(String.format("Monday, 01-Jan-%02d 00:00:00 GMT", ahead)));
    assertEquals(thisYear - 49, yearOf(String.format("Monday, 01-Jan-%02d 00:00:00 GMT", beyond)));
  }

  @Test
  void formatsImfFixdate() {
    assertEquals("Sun, 06 Nov 1994 08:49:37 GMT", HttpDates.format(NOV_6_1994));
  }

  private static int yearOf(String value) {
    return HttpDates.parse(value).atZone(ZoneOffset.UTC).getYear();
  }
}
