package io.edgecache.extproc.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.edgecache.extproc.fields.HeaderList;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CachedResponseTest {

  private static final Instant ARRIVED = Instant.parse("2026-01-02T03:04:05.123456789Z");

  private static CachedResponse entry(HeaderList headers, String body) {
    return new CachedResponse(200, headers, ByteString.copyFromUtf8(body), ARRIVED,
        Duration.ofMillis(1500), Duration.ofSeconds(60), Map.of(), ReuseRules.NONE);
  }

  private static HeaderList fields(String... nameValues) {
    HeaderList.Field[] fields = new HeaderList.Field[nameValues.length / 2];
    for (int i = 0; i < fields.length; i++) {
      fields[i] = new HeaderList.Field(nameValues[2 * i], nameValues[2 * i + 1]);
    }
    return HeaderList.of(List.of(fields));
  }

  @Test
  void keepsEveryFieldBodyAndTimeExactly() {
    HeaderList headers = fields("link", "</a.css>", "x-bad", "tab\tok\u0001bell", "link",
        "</b.js>", "empty", "", "x-wide", "snow \u2603", "latin", "caf\u00e9");
    CachedResponse entry = entry(headers, "hello");
    assertEquals(headers.fields(), entry.headers().fields());
    assertEquals("hello", entry.body().toStringUtf8());
    assertEquals(ARRIVED, entry.responseTime());
    assertEquals(Duration.ofMillis(1500), entry.correctedInitialAge());
    assertEquals(Duration.ofSeconds(60), entry.freshnessLifetime());
    assertEquals("</a.css>, </b.js>", entry.joinedHeader("link"));
    assertEquals("", entry.joinedHeader("empty"));
    assertEquals("snow \u2603", entry.joinedHeader("x-wide"));
    assertNull(entry.joinedHeader("etag"));
  }

  @Test
  void fieldsAHitSendsAsStoredAreLinesReadyToSend() throws Exception {
    CachedResponse entry = entry(fields("content-type", "text/plain", "link", "</a>", "link",
        "</b>"), "ok");
    ByteString lines = entry.headerLines();
    assertNotNull(lines);
    List<HeaderValueOption> parsed = HeaderMutation.parseFrom(lines).getSetHeadersList();
    assertEquals(List.of(WireHeaders.line("content-type", "text/plain", false),
        WireHeaders.line("link", "</a>", false), WireHeaders.line("link", "</b>", true)), parsed);
  }

  @Test
  void perHitLinesAreTheLinesTheBuilderMakes() throws Exception {
    assertEquals(List.of(WireHeaders.line("age", "12", false),
            WireHeaders.line("cache-status", "edgecache; hit; ttl=48", false)),
        HeaderMutation.parseFrom(WireHeaders.twoLines("age", "12", "cache-status",
            "edgecache; hit; ttl=48")).getSetHeadersList());
  }

  @Test
  void fieldsAHitRewritesOrEnvoyRefusesTakeTheCheckedPath() {
    assertNull(entry(fields("cache-status", "upstream; hit"), "").headerLines());
    assertNull(entry(fields("x-bad", "bell\u0001"), "").headerLines());
    assertNull(entry(fields("x-envoy-upstream", "1"), "").headerLines());
    assertNull(entry(fields("Link", "</a>", "link", "</b>"), "").headerLines());
  }

  @Test
  void aSoftPurgedCopyKeepsTheStoredBytes() {
    CachedResponse entry = entry(fields("etag", "\"1\""), "body");
    CachedResponse stale = entry.staleFrom(ARRIVED.plusSeconds(10));
    assertEquals(entry.headers().fields(), stale.headers().fields());
    assertEquals("body", stale.body().toStringUtf8());
    assertEquals(0, stale.ttlSeconds(ARRIVED.plusSeconds(10)));
  }

  @Test
  void aHeadWhoseBodyALowerTierHoldsKeepsItsLengthOutsideTheBody() {
    HeaderList headers = fields("etag", "\"1\"");
    CachedResponse head = new CachedResponse(200, headers, ByteString.EMPTY, ARRIVED,
        Duration.ofMillis(1500), Duration.ofSeconds(60), Map.of(), ReuseRules.NONE,
        5_000_000_000L);
    assertFalse(head.bodyInMemory());
    assertEquals(5_000_000_000L, head.bodyLength());
    assertTrue(head.body().isEmpty());
    assertEquals(headers.fields(), head.headers().fields());
    assertEquals("\"1\"", head.joinedHeader("etag"));

    CachedResponse whole = entry(headers, "");
    assertTrue(whole.bodyInMemory());
    assertEquals(0, whole.bodyLength());
    assertNotEquals(whole, head);
    CachedResponse stale = head.staleFrom(ARRIVED.plusSeconds(10));
    assertFalse(stale.bodyInMemory());
    assertEquals(5_000_000_000L, stale.bodyLength());
  }

  @Test
  void agesAndLifetimesAreExactToTheNanosecond() {
    CachedResponse entry = entry(fields(), "x");
    assertEquals(Duration.ofMillis(1500), entry.currentAge(ARRIVED.minusSeconds(5)));
    assertEquals(Duration.ofMillis(1500).plusNanos(1), entry.currentAge(ARRIVED.plusNanos(1)));
    Instant lastFresh = ARRIVED.plusMillis(58_500).minusNanos(1);
    assertEquals(Duration.ofNanos(1), entry.timeToLive(lastFresh));
    assertTrue(entry.isFresh(lastFresh));
    assertFalse(entry.isFresh(lastFresh.plusNanos(1)));
    assertEquals(Duration.ofSeconds(-1), entry.timeToLive(ARRIVED.plusMillis(59_500)));
    // Age 60.5 s reads as 60 whole seconds: ttl 0, so Age + ttl is still the lifetime.
    assertEquals(0, entry.ttlSeconds(ARRIVED.plusSeconds(59)));
    assertEquals(-1, entry.ttlSeconds(ARRIVED.plusMillis(59_600)));
    CachedResponse stale = entry.staleFrom(ARRIVED.plusNanos(7));
    assertEquals(Duration.ofMillis(1500).plusNanos(7), stale.freshnessLifetime());
    assertEquals(ARRIVED, stale.responseTime());
    assertEquals(Duration.ofMillis(1500), stale.correctedInitialAge());
  }

  @Test
  void lifetimesBeyondWhatNanosecondsHoldAreHeldAtTheirLongest() {
    Duration millennia = Duration.ofDays(365L * 8000);
    CachedResponse entry = new CachedResponse(200, fields(), ByteString.EMPTY, ARRIVED,
        Duration.ZERO, millennia, Map.of(), ReuseRules.NONE);
    assertEquals(Duration.ofNanos(Long.MAX_VALUE), entry.freshnessLifetime());
    assertTrue(entry.isFresh(ARRIVED.plus(Duration.ofDays(365L * 200))));
    assertEquals(Duration.ofNanos(Long.MAX_VALUE), entry.currentAge(ARRIVED.plusSeconds(1))
        .plus(entry.timeToLive(ARRIVED.plusSeconds(1))));
  }

  @Test
  void aStatusMustBeThreeDigits() {
    assertThrows(IllegalArgumentException.class, () -> new CachedResponse(70_000, fields(),
        ByteString.EMPTY, ARRIVED, Duration.ZERO, Duration.ZERO, Map.of(), ReuseRules.NONE));
    assertEquals(599, new CachedResponse(599, fields(), ByteString.EMPTY, ARRIVED, Duration.ZERO,
        Duration.ZERO, Map.of(), ReuseRules.NONE).status());
  }
}
