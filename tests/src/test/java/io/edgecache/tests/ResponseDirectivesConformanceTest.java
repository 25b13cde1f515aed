package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** RFC 9111 §5.2.2 response directives (and RFC 8246 immutable). */
class ResponseDirectivesConformanceTest extends ConformanceBase {

  @Test
  void noCacheStoresButRevalidatesEveryUse_5_2_2_4() throws Exception {
    String p = path("no-cache");
    origin.reply(p, TestOrigin.Reply.text("body", dated("cache-control", "no-cache",
        "etag", "\"n1\"")));
    stack.get(p);
    HttpResponse<String> second = stack.get(p);
    assertEquals("body", second.body());
    assertEquals("\"n1\"", origin.lastRequestHeader(p, "if-none-match"));
    assertStatus(second, "fwd-status=304");
    assertOriginSaw(p, 2);
  }

  @Test
  void noCacheWithFieldNamesStoresWithoutThem_5_2_2_4() throws Exception {
    String p = path("no-cache-fields");
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control",
        "max-age=60, no-cache=\"x-secret\"", "x-secret", "s3cr3t")));
    stack.get(p);
    HttpResponse<String> hit = stack.get(p);
    assertHit(hit);
    assertFalse(hit.headers().firstValue("x-secret").isPresent());
  }

  @Test
  void privateWithFieldNamesStoresWithoutThem_5_2_2_7() throws Exception {
    String p = path("private-fields");
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control",
        "max-age=60, private=\"x-user\"", "x-user", "alice")));
    stack.get(p);
    HttpResponse<String> hit = stack.get(p);
    assertHit(hit);
    assertFalse(hit.headers().firstValue("x-user").isPresent());
  }

  @Test
  void mustRevalidateForbidsServingStale_5_2_2_2() throws Exception {
    assertNoStaleServing("max-age=10, must-revalidate");
  }

  @Test
  void proxyRevalidateBindsASharedCache_5_2_2_8() throws Exception {
    assertNoStaleServing("max-age=10, proxy-revalidate");
  }

  @Test
  void sMaxAgeImpliesProxyRevalidate_5_2_2_10() throws Exception {
    assertNoStaleServing("s-maxage=10");
  }

  private void assertNoStaleServing(String cacheControl) throws Exception {
    String p = path("no-stale");
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control", cacheControl,
        "etag", "\"r\"")));
    stack.get(p);
    advance(20);
    HttpResponse<String> response = stack.get(p, "cache-control", "max-stale=600");
    assertForwarded(response, "stale");
    assertOriginSaw(p, 2);
  }

  @Test
  void publicAllowsStoringAnAuthorizedResponse_5_2_2_9() throws Exception {
    String p = path("public");
    origin.reply(p, TestOrigin.Reply.text("shared", dated("cache-control", "public, max-age=60")));
    stack.get(p, "authorization", "Bearer t");
    assertHit(stack.get(p));
    assertOriginSaw(p, 1);
  }

  @Test
  void mustUnderstandWithAnUnknownStatusIsNotStored_5_2_2_3() throws Exception {
    String p = path("must-understand");
    origin.reply(p, TestOrigin.Reply.status(299, "x", dated("cache-control",
        "must-understand, no-store, max-age=60")));
    stack.get(p);
    stack.get(p);
    assertOriginSaw(p, 2);
    String known = path("must-understand-200");
    origin.reply(known, TestOrigin.Reply.text("x", dated("cache-control",
        "must-understand, no-store, max-age=60")));
    stack.get(known);
    assertHit(stack.get(known));
  }

  @Test
  void noTransformBodyAndTypeServedUnchanged_5_2_2_6() throws Exception {
    String p = path("no-transform");
    String body = "{\"a\": 1,   \"b\": [1, 2, 3]}   \n";
    origin.reply(p, TestOrigin.Reply.text(body, dated("cache-control",
        "max-age=60, no-transform", "content-type", "application/json; charset=utf-8")));
    stack.get(p);
    HttpResponse<String> hit = stack.get(p);
    assertHit(hit);
    assertEquals(body, hit.body());
    assertEquals("application/json; charset=utf-8",
        hit.headers().firstValue("content-type").orElseThrow());
  }

  @Test
  void unknownDirectivesIgnoredAndQuotedValuesParsed_5_2() throws Exception {
    String p = path("grammar");
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control",
        "community=\"UCI, x\" ,  MAX-AGE=\"60\" ,")));
    stack.get(p);
    assertHit(stack.get(p));
  }

  @Test
  void immutableIsServedOnReload_RFC8246() throws Exception {
    String p = path("immutable");
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control",
        "max-age=600, immutable")));
    stack.get(p);
    assertHit(stack.get(p, "cache-control", "no-cache"));
    assertOriginSaw(p, 1);
  }
}
