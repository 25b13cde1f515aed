package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** RFC 9111 §5.2.1 request directives and §5.4 Pragma. */
class RequestDirectivesConformanceTest extends ConformanceBase {

  private String cached(String name) throws Exception {
    String p = path(name);
    origin.reply(p, TestOrigin.Reply.text("body", dated("cache-control", "max-age=60",
        "etag", "\"v1\"")));
    stack.get(p);
    return p;
  }

  @Test
  void noCacheRevalidatesWithTheStoredValidator_5_2_1_4() throws Exception {
    String p = cached("req-no-cache");
    HttpResponse<String> response = stack.get(p, "cache-control", "no-cache");
    assertEquals(200, response.statusCode());
    assertEquals("body", response.body(), "the 304 was turned into the stored 200");
    assertEquals("\"v1\"", origin.lastRequestHeader(p, "if-none-match"));
    assertStatus(response, "fwd=request; fwd-status=304");
    assertOriginSaw(p, 2);
  }

  @Test
  void noStoreKeepsTheResponseOutOfTheCache_5_2_1_5() throws Exception {
    String p = path("req-no-store");
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control", "max-age=60")));
    stack.get(p, "cache-control", "no-store");
    assertForwarded(stack.get(p), "uri-miss");
    assertOriginSaw(p, 2);
  }

  @Test
  void maxAgeRefusesOlderResponses_5_2_1_1() throws Exception {
    String p = cached("req-max-age");
    advance(10);
    assertForwarded(stack.get(p, "cache-control", "max-age=5"), "request");
    advance(1);
    assertHit(stack.get(p, "cache-control", "max-age=30"));
  }

  @Test
  void maxStaleAcceptsAStaleResponse_5_2_1_2() throws Exception {
    String p = cached("req-max-stale");
    advance(70);
    HttpResponse<String> stale = stack.get(p, "cache-control", "max-stale=20");
    assertHit(stale);
    assertStatus(stale, "ttl=-10");
    assertOriginSaw(p, 1);
  }

  @Test
  void minFreshRefusesResponsesAboutToExpire_5_2_1_3() throws Exception {
    String p = cached("req-min-fresh");
    advance(50);
    assertForwarded(stack.get(p, "cache-control", "min-fresh=20"), "request");
    assertHit(stack.get(p, "cache-control", "min-fresh=5"));
  }

  @Test
  void onlyIfCachedAnswers504WhenNothingIsStored_5_2_1_7() throws Exception {
    String p = path("only-if-cached");
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control", "max-age=60")));
    assertEquals(504, stack.get(p, "cache-control", "only-if-cached").statusCode());
    assertOriginSaw(p, 0);
    stack.get(p);
    assertHit(stack.get(p, "cache-control", "only-if-cached"));
  }

  @Test
  void pragmaNoCacheCountsOnlyWithoutCacheControl_5_4() throws Exception {
    String p = cached("pragma");
    assertForwarded(stack.get(p, "pragma", "no-cache"), "request");
    assertHit(stack.get(p, "pragma", "no-cache", "cache-control", "max-stale"));
  }
}
