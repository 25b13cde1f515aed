package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpResponse;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 9111 §4.2: freshness lifetime and age, through local-edge against a real origin. */
class FreshnessConformanceTest extends ConformanceBase {

  @Test
  void sMaxAgeOverridesMaxAgeInASharedCache_4_2_1() throws Exception {
    String p = path("s-maxage");
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control", "max-age=10, s-maxage=30")));
    stack.get(p);
    advance(20);
    assertHit(stack.get(p));
    assertOriginSaw(p, 1);
  }

  @Test
  void invalidExpiresMeansAlreadyExpired_5_3() throws Exception {
    String p = path("bad-expires");
    origin.reply(p, TestOrigin.Reply.text("x", dated("expires", "0")));
    stack.get(p);
    stack.get(p);
    assertOriginSaw(p, 2);
  }

  @Test
  void heuristicFreshnessFromLastModified_4_2_2() throws Exception {
    String p = path("heuristic");
    origin.reply(p, TestOrigin.Reply.text("x", dated("last-modified",
        HttpDate.format(stack.clock.instant().minusSeconds(10_000)))));
    HttpResponse<String> miss = stack.get(p);
    assertStatus(miss, "stored; ttl=1000"); // 10 % of the time since Last-Modified
    advance(999);
    assertHit(stack.get(p));
    assertOriginSaw(p, 1);
  }

  @Test
  void noHeuristicForStatusesNotCacheableByDefault_4_2_2() throws Exception {
    String p = path("redirect");
    origin.reply(p, TestOrigin.Reply.status(302, "", dated("location", "/elsewhere",
        "last-modified", HttpDate.format(stack.clock.instant().minusSeconds(10_000)))));
    stack.get(p);
    stack.get(p);
    assertOriginSaw(p, 2);
  }

  @Test
  void firstOfDuplicateDirectivesIsUsed_4_2_1() throws Exception {
    String p = path("duplicate");
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control", "max-age=5",
        "cache-control", "max-age=600")));
    stack.get(p);
    advance(10);
    stack.get(p);
    assertOriginSaw(p, 2);
  }

  @Test
  void ageCountsTheReceivedAgeAndResidentTime_4_2_3() throws Exception {
    String p = path("age");
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control", "max-age=100",
        "age", "30")));
    stack.get(p);
    advance(15);
    HttpResponse<String> hit = stack.get(p);
    assertEquals("45", hit.headers().firstValue("age").orElseThrow());
    assertStatus(hit, "ttl=55");
  }

  @Test
  void apparentAgeFromAnOldDate_4_2_3() throws Exception {
    String p = path("old-date");
    origin.reply(p, TestOrigin.Reply.text("x", "date",
        HttpDate.format(stack.clock.instant().minusSeconds(40)), "cache-control", "max-age=100"));
    stack.get(p);
    HttpResponse<String> hit = stack.get(p);
    assertEquals("40", hit.headers().firstValue("age").orElseThrow());
  }

  @Test
  void listValuedAgeCountsByItsFirstMember_5_1() throws Exception {
    String p = path("age-list");
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control", "max-age=3600",
        "age", "7200, 0")));
    HttpResponse<String> miss = stack.get(p);
    assertStatus(miss, "fwd=uri-miss");
    HttpResponse<String> again = stack.get(p);
    assertForwarded(again, "uri-miss"); // 7200 s old with a 3600 s lifetime: never fresh
    assertOriginSaw(p, 2);
  }

  @Test
  void invalidAgeIsIgnored_5_1() throws Exception {
    String p = path("age-invalid");
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control", "max-age=60",
        "age", "soon")));
    stack.get(p);
    advance(10);
    HttpResponse<String> hit = stack.get(p);
    assertHit(hit);
    assertEquals("10", hit.headers().firstValue("age").orElseThrow());
  }

  /** Expires − Date is the lifetime, with Expires in each form of RFC 9110 §5.6.7. */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
      "EEE, dd MMM yyyy HH:mm:ss 'GMT'", // IMF-fixdate
      "EEEE, dd-MMM-yy HH:mm:ss 'GMT'", // RFC 850
      "EEE MMM ppd HH:mm:ss yyyy", // asctime
  })
  void expiresMinusDateInEachDateForm_4_2_1_9110_5_6_7(String form) throws Exception {
    String p = path("expires-form");
    String expires = DateTimeFormatter.ofPattern(form, Locale.US).withZone(ZoneOffset.UTC)
        .format(stack.clock.instant().plusSeconds(60));
    origin.reply(p, TestOrigin.Reply.text("x", dated("expires", expires)));
    stack.get(p);
    advance(30);
    assertHit(stack.get(p));
    advance(31);
    stack.get(p);
    assertOriginSaw(p, 2);
  }

  @Test
  void httpDateNamesAreCaseInsensitiveAndAWrongWeekdayIsKept_9110_5_6_7() throws Exception {
    String p = path("expires-odd");
    String imf = HttpDate.format(stack.clock.instant().plusSeconds(60)); // "Www, dd Mmm ..."
    String wrongDay = (imf.startsWith("Mon") ? "TUE" : "MON") + imf.substring(3);
    origin.reply(p, TestOrigin.Reply.text("x",
        dated("expires", wrongDay.toUpperCase(Locale.ROOT))));
    HttpResponse<String> miss = stack.get(p);
    assertStatus(miss, "stored; ttl=60");
    assertHit(stack.get(p));
  }
}
