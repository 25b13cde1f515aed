package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.config.CookiePolicy;
import io.edgecache.extproc.config.RoutePolicy;
import io.edgecache.extproc.config.ServerConfig;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * RFC 9111 §4.3.5 (HEAD), RFC 9110 §14 ranges served from a complete stored response, and
 * incomplete responses stored and combined (RFC 9111 §3.3, §3.4).
 */
class HeadAndRangeConformanceTest extends ConformanceBase {

  private static final String BODY = "0123456789abcdefghij";

  private String cached(String name, String... extra) throws Exception {
    String p = path(name);
    String[] headers = new String[extra.length + 4];
    headers[0] = "cache-control";
    headers[1] = "max-age=60";
    headers[2] = "content-type";
    headers[3] = "text/plain";
    System.arraycopy(extra, 0, headers, 4, extra.length);
    origin.reply(p, TestOrigin.Reply.text(BODY, dated(headers)));
    stack.get(p);
    return p;
  }

  @Test
  void headResponseFreshensTheStoredGet_4_3_5() throws Exception {
    String p = cached("head-freshen", "etag", "\"h1\"");
    advance(70);
    origin.reply(p, TestOrigin.Reply.text(BODY, dated("cache-control", "max-age=600",
        "content-type", "text/plain", "etag", "\"h1\"")));
    HttpResponse<String> head = stack.send("HEAD", p);
    assertEquals(200, head.statusCode());
    assertHit(stack.get(p)); // fresh again thanks to the HEAD's max-age=600
    assertOriginSaw(p, 2);
  }

  @Test
  void headResponseWithAnotherValidatorInvalidatesTheStoredGet_4_3_5() throws Exception {
    String p = cached("head-changed", "etag", "\"h1\"");
    advance(70);
    origin.reply(p, TestOrigin.Reply.text("something else", dated("cache-control",
        "max-age=600", "etag", "\"h2\"")));
    stack.send("HEAD", p);
    HttpResponse<String> get = stack.get(p);
    assertEquals("something else", get.body());
  }

  @Test
  void singleRangeServedAs206_RFC9110_14() throws Exception {
    String p = cached("range");
    HttpResponse<String> partial = stack.get(p, "range", "bytes=2-5");
    assertEquals(206, partial.statusCode());
    assertEquals("2345", partial.body());
    assertEquals("bytes 2-5/20", partial.headers().firstValue("content-range").orElseThrow());
    assertHit(partial);
    HttpResponse<String> suffix = stack.get(p, "range", "bytes=-3");
    assertEquals("hij", suffix.body());
    assertOriginSaw(p, 1);
  }

  @Test
  void multipleRangesServedAsMultipartByteranges_RFC9110_14_6() throws Exception {
    String p = cached("multi-range");
    HttpResponse<String> partial = stack.get(p, "range", "bytes=0-1, 10-11");
    assertEquals(206, partial.statusCode());
    assertTrue(partial.headers().firstValue("content-type").orElseThrow()
        .startsWith("multipart/byteranges; boundary="));
    assertTrue(partial.body().contains("content-range: bytes 0-1/20\r\n\r\n01\r\n"),
        partial.body());
    assertTrue(partial.body().contains("content-range: bytes 10-11/20\r\n\r\nab\r\n"),
        partial.body());
  }

  @Test
  void unsatisfiableRangeIs416_RFC9110_15_5_17() throws Exception {
    String p = cached("range-416");
    assertUnsatisfiableOfTwenty(stack.get(p, "range", "bytes=50-60"));
  }

  /**
   * {@code bytes=20-} of a 20-byte body is valid and unsatisfiable: 416 (it was ignored, as if
   * invalid). {@code bytes=--5} and a signed position are no range at all (§14.1.1's positions
   * are 1*DIGIT): ignored, the whole body served (they were read as a suffix of -5: 416).
   */
  @Test
  void aRangeFromTheEndIsUnsatisfiableAndASignedOneIsIgnored_RFC9110_14_1_1() throws Exception {
    String p = cached("range-edges");
    assertUnsatisfiableOfTwenty(stack.get(p, "range", "bytes=20-"));
    for (String signed : new String[] {"bytes=--5", "bytes=+2-5", "bytes=-+5"}) {
      HttpResponse<String> whole = stack.get(p, "range", signed);
      assertEquals(200, whole.statusCode(), signed);
      assertEquals(BODY, whole.body(), signed);
    }
  }

  @Test
  void ifRangeServesTheRangeOnlyForTheSameRepresentation_RFC9110_13_1_5() throws Exception {
    String p = cached("if-range", "etag", "\"r1\"");
    assertEquals(206, stack.get(p, "range", "bytes=0-0", "if-range", "\"r1\"").statusCode());
    HttpResponse<String> full = stack.get(p, "range", "bytes=0-0", "if-range", "\"r0\"");
    assertEquals(200, full.statusCode());
    assertEquals(BODY, full.body());
  }

  @Test
  void partialResponsesFromTheOriginAreNotStoredAsComplete_3_3() throws Exception {
    String p = path("origin-206");
    // an origin that answers every request with the same part, even without a Range
    origin.reply(p, TestOrigin.Reply.status(206, "012", dated("cache-control", "max-age=60",
        "content-range", "bytes 0-2/20")));
    stack.get(p, "range", "bytes=0-2");
    awaitBackgroundFetches(); // the whole representation is asked for, and a part comes back
    assertForwarded(stack.get(p), "uri-miss");
    awaitBackgroundFetches();
    assertOriginSaw(p, 3);
  }

  @Test
  void aRangeWithinAStoredPartIsServedFromIt_3_3() throws Exception {
    String p = path("partial-serve");
    // This origin answers every request with the same part, so the whole-object fetch after
    // the first range cannot fill the entry: only the stored part can answer.
    origin.reply(p, TestOrigin.Reply.status(206, "2345", dated("cache-control", "max-age=60",
        "etag", "\"v1\"", "content-range", "bytes 2-5/20", "content-type", "text/plain")));
    HttpResponse<String> first = stack.get(p, "range", "bytes=2-5");
    assertEquals(206, first.statusCode());
    assertStatus(first, "stored");
    awaitBackgroundFetches();
    int before = origin.count(p);

    HttpResponse<String> within = stack.get(p, "range", "bytes=3-4");
    assertHit(within);
    assertEquals(206, within.statusCode());
    assertEquals("34", within.body());
    assertEquals("bytes 3-4/20", within.headers().firstValue("content-range").orElseThrow());
    assertEquals(before, origin.count(p));

    assertForwarded(stack.get(p, "range", "bytes=5-7"), "uri-miss"); // not all held
    assertForwarded(stack.get(p), "uri-miss"); // an incomplete response never answers in full
    awaitBackgroundFetches();
  }

  @Test
  void partsWithTheSameStrongValidatorCombineIntoTheWhole_3_4() throws Exception {
    String p = path("partial-combine");
    fetchBothHalves(p, "\"v1\"", "\"v1\"");

    HttpResponse<String> whole = stack.get(p);
    assertHit(whole);
    assertEquals(200, whole.statusCode());
    assertEquals(BODY, whole.body());
  }

  @Test
  void partsOfDifferentRepresentationsAreNotCombined_3_4() throws Exception {
    String p = path("partial-other");
    fetchBothHalves(p, "\"v1\"", "\"v2\"");

    assertForwarded(stack.get(p), "uri-miss");
    assertForwarded(stack.get(p, "range", "bytes=0-3"), "uri-miss"); // v1's part was replaced
    assertHit(stack.get(p, "range", "bytes=12-13")); // v2's part is kept
    awaitBackgroundFetches();
  }

  @Test
  void aRangeMissFetchesTheWholeRepresentationInTheBackground() throws Exception {
    String p = path("range-fill");
    origin.reply(p, TestOrigin.Reply.text(BODY, dated("cache-control", "max-age=60",
        "accept-ranges", "bytes")));
    HttpResponse<String> first = stack.get(p, "range", "bytes=2-5");
    assertEquals(206, first.statusCode());
    assertEquals("2345", first.body());
    assertForwarded(first, "uri-miss");
    awaitBackgroundFetches();

    HttpResponse<String> later = stack.get(p, "range", "bytes=10-12");
    assertEquals(206, later.statusCode());
    assertEquals("abc", later.body());
    assertHit(later);
    assertEquals(BODY, stack.get(p).body());
    assertOriginSaw(p, 2); // the range, then the whole representation once
    assertEquals(null, origin.lastRequestHeader(p, "range"), "the fill asked for all of it");
  }

  @Test
  void aRangeMissOfAnUncacheableResponseFetchesNothingMore() throws Exception {
    String p = path("range-no-store");
    origin.reply(p, TestOrigin.Reply.text(BODY, dated("cache-control", "no-store",
        "accept-ranges", "bytes")));
    assertEquals(206, stack.get(p, "range", "bytes=2-5").statusCode());
    assertEquals(0, stack.server.node().refresher().startedTotal());
    assertOriginSaw(p, 1);
  }

  @Test
  void theWholeObjectFetchSendsNothingSpecificToTheTriggeringRequest() throws Exception {
    restart(ServerConfig.defaults().withRoutes(List.of(RoutePolicy.builder()
        .cookies(CookiePolicy.IGNORE_COOKIES).build())));
    String p = path("range-fill-headers");
    origin.reply(p, TestOrigin.Reply.text(BODY, dated("cache-control", "public, max-age=60",
        "accept-ranges", "bytes", "vary", "accept-language, x-device")));
    HttpResponse<String> first = stack.get(p, "range", "bytes=2-5",
        "authorization", "Bearer secret", "cookie", "session=1",
        "if-none-match", "\"other\"", "if-modified-since", "Sat, 21 Nov 2020 12:00:00 GMT",
        "accept-language", "fr", "x-device", "mobile", "x-request-id", "trigger-1");
    assertEquals(206, first.statusCode());
    assertEquals(1, stack.server.node().refresher().startedTotal(), "a whole-object fetch");
    awaitBackgroundFetches();

    assertOriginSaw(p, 2);
    for (String specific : List.of("authorization", "cookie", "range", "if-none-match",
        "if-modified-since")) {
      assertEquals(null, origin.lastRequestHeader(p, specific), specific + " was sent on");
    }
    // The edge gives its own request an id of its own, as Envoy does.
    assertNotEquals("trigger-1", origin.lastRequestHeader(p, "x-request-id"));
    // The fields the response varies on are sent, so the variant the client asked for fills.
    assertEquals("fr", origin.lastRequestHeader(p, "accept-language"));
    assertEquals("mobile", origin.lastRequestHeader(p, "x-device"));
    assertHit(stack.get(p, "range", "bytes=10-12", "accept-language", "fr",
        "x-device", "mobile"));
  }

  /**
   * Range requests for the first and then the second half of BODY, each answered by a 206
   * with the given ETag (the origin sends that half to every request, whole-object fetch
   * included, so only combining parts can complete the entry).
   */
  private void fetchBothHalves(String p, String firstEtag, String secondEtag) throws Exception {
    origin.reply(p, TestOrigin.Reply.status(206, BODY.substring(0, 10), dated(
        "cache-control", "max-age=60", "etag", firstEtag, "content-range", "bytes 0-9/20")));
    stack.get(p, "range", "bytes=0-9");
    awaitBackgroundFetches();
    origin.reply(p, TestOrigin.Reply.status(206, BODY.substring(10), dated(
        "cache-control", "max-age=60", "etag", secondEtag, "content-range", "bytes 10-19/20")));
    stack.get(p, "range", "bytes=10-19");
    awaitBackgroundFetches();
  }

  /** Waits, with a deadline, until the cache's background requests have all ended. */
  private void awaitBackgroundFetches() {
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(20).toNanos();
    while (stack.server.node().refresher().busy()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("a background fetch is still running");
      }
      Thread.onSpinWait();
    }
  }

  /** A 416 for the 20-byte body these tests store, naming its length (RFC 9110 §15.5.17). */
  private static void assertUnsatisfiableOfTwenty(HttpResponse<String> response) {
    assertEquals(416, response.statusCode());
    assertEquals("bytes */20", response.headers().firstValue("content-range").orElseThrow());
  }
}
