package io.edgecache.extproc.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.edgecache.extproc.fields.CacheControl;
import io.edgecache.extproc.fields.HeaderList;
import java.time.Duration;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Freshness lifetime (RFC 9111 §4.2.1, §4.2.2) and age (§4.2.3), one row per rule. */
class FreshnessTest {

  private static final Instant ARRIVAL = Instant.parse("2026-11-21T12:00:00Z");
  private final Freshness freshness = new Freshness(0.1, Duration.ofHours(1));

  static Stream<Arguments> lifetimes() {
    String date = "date: Sat, 21 Nov 2026 12:00:00 GMT\n";
    return Stream.of(
        Arguments.of("§4.2.1 s-maxage wins over max-age in a shared cache", 200,
            date + "cache-control: max-age=10, s-maxage=30\nexpires: Sat, 21 Nov 2026 13:00:00 GMT",
            30),
        Arguments.of("§4.2.1 max-age wins over Expires", 200,
            date + "cache-control: max-age=10\nexpires: Sat, 21 Nov 2026 13:00:00 GMT", 10),
        Arguments.of("§4.2.1 Expires minus Date", 200,
            date + "expires: Sat, 21 Nov 2026 12:05:00 GMT", 300),
        Arguments.of("§4.2.1 Expires in RFC 850 form is accepted", 200,
            date + "expires: Saturday, 21-Nov-26 12:05:00 GMT", 300),
        Arguments.of("§4.2.1 Expires in asctime form is accepted", 200,
            date + "expires: Sat Nov 21 12:05:00 2026", 300),
        Arguments.of("§4.2.1 Expires without Date counts from arrival", 200,
            "expires: Sat, 21 Nov 2026 12:01:00 GMT", 60),
        Arguments.of("§5.3 an invalid Expires is already expired", 200,
            date + "expires: tomorrow", 0),
        Arguments.of("§4.2.1 the first of duplicate max-age directives is used", 200,
            date + "cache-control: max-age=20, max-age=90", 20),
        Arguments.of("§1.2.2 a malformed max-age makes the response stale", 200,
            date + "cache-control: max-age=ten", 0),
        Arguments.of("§1.2.2 delta-seconds beyond 2^31 are clamped", 200,
            date + "cache-control: max-age=99999999999999", 2_147_483_648L),
        Arguments.of("§5.2 directive names are case-insensitive, quoted values allowed", 200,
            date + "cache-control: MAX-AGE=\"45\"", 45),
        Arguments.of("§4.2.2 heuristic: 10 % of the time since Last-Modified", 200,
            date + "last-modified: Sat, 21 Nov 2026 11:00:00 GMT", 360),
        Arguments.of("§4.2.2 heuristic freshness is capped", 200,
            date + "last-modified: Fri, 21 Nov 2025 12:00:00 GMT", 3600),
        Arguments.of("§4.2.2 no heuristic for a status that is not heuristically cacheable",
            302, date + "last-modified: Sat, 21 Nov 2026 11:00:00 GMT", 0));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("lifetimes")
  void lifetime(String rule, int status, String headers, long expectedSeconds) {
    HeaderList list = CachePolicyTest.headers(headers);
    Duration lifetime = freshness.lifetime(
        status, list, CacheControl.parse(list.joined("cache-control")), false, ARRIVAL);
    assertEquals(expectedSeconds, lifetime.getSeconds(), rule);
  }

  static Stream<Arguments> ages() {
    return Stream.of(
        Arguments.of("§4.2.3 no Date and no Age: age is the response delay", "", 2, 2),
        Arguments.of("§4.2.3 apparent age from a Date in the past",
            "date: Sat, 21 Nov 2026 11:59:00 GMT", 0, 60),
        Arguments.of("§4.2.3 a Date in the future gives no negative age",
            "date: Sat, 21 Nov 2026 12:10:00 GMT", 0, 0),
        Arguments.of("§4.2.3 received Age plus response delay",
            "date: Sat, 21 Nov 2026 12:00:00 GMT\nage: 100", 3, 103),
        Arguments.of("§4.2.3 the larger of apparent age and corrected Age",
            "date: Sat, 21 Nov 2026 11:58:00 GMT\nage: 10", 1, 120),
        Arguments.of("§5.1 an invalid Age is ignored",
            "date: Sat, 21 Nov 2026 12:00:00 GMT\nage: soon", 0, 0),
        Arguments.of("§5.1 a list-valued Age counts by its first member",
            "date: Sat, 21 Nov 2026 12:00:00 GMT\nage: 7200, 0", 0, 7200));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("ages")
  void correctedInitialAge(String rule, String headers, long responseDelaySeconds,
      long expectedSeconds) {
    Instant requestTime = ARRIVAL.minusSeconds(responseDelaySeconds);
    Duration age = Freshness.correctedInitialAge(
        CachePolicyTest.headers(headers), requestTime, ARRIVAL);
    assertEquals(expectedSeconds, age.getSeconds(), rule);
  }
}
