package io.edgecache.extproc.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

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
}
