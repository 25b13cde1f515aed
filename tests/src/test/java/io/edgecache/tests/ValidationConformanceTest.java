package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** RFC 9111 §4.3: validation, freshening on 304, and answering conditional requests. */
class ValidationConformanceTest extends ConformanceBase {

  @Test
  void staleEntryRevalidatedWithIfNoneMatchAndFreshenedBy304_4_3_1_4_3_4() throws Exception {
    String p = path("etag");
    origin.reply(p, TestOrigin.Reply.text("stored body", dated("cache-control", "max-age=10",
        "etag", "\"e1\"", "x-version", "1")));
    stack.get(p);
    advance(20);
    origin.reply(p, TestOrigin.Reply.text("never sent", dated("cache-control", "max-age=100",
        "etag", "\"e1\"", "x-version", "2")));
    HttpResponse<String> revalidated = stack.get(p);
    assertEquals(200, revalidated.statusCode());
    assertEquals("stored body", revalidated.body());
    assertEquals("\"e1\"", origin.lastRequestHeader(p, "if-none-match"));
    assertEquals("2", revalidated.headers().firstValue("x-version").orElseThrow(),
        "the 304's fields replaced the stored ones (§3.2)");
    assertStatus(revalidated, "fwd=stale; fwd-status=304; stored; ttl=100");
    advance(50);
    assertHit(stack.get(p)); // the 304's max-age=100 now applies
    assertOriginSaw(p, 2);
  }

  @Test
  void lastModifiedIsUsedAsIfModifiedSince_4_3_1() throws Exception {
    String p = path("last-modified");
    String lastModified = HttpDate.format(stack.clock.instant().minusSeconds(3600));
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control", "max-age=10",
        "last-modified", lastModified)));
    stack.get(p);
    advance(20);
    stack.get(p);
    assertEquals(lastModified, origin.lastRequestHeader(p, "if-modified-since"));
  }

  @Test
  void changedRepresentationReplacesTheStoredOne_4_3_3() throws Exception {
    String p = path("changed");
    origin.reply(p, TestOrigin.Reply.text("v1", dated("cache-control", "max-age=10",
        "etag", "\"a\"")));
    stack.get(p);
    advance(20);
    origin.reply(p, TestOrigin.Reply.text("v2", dated("cache-control", "max-age=60",
        "etag", "\"b\"")));
    assertEquals("v2", stack.get(p).body());
    HttpResponse<String> hit = stack.get(p);
    assertHit(hit);
    assertEquals("v2", hit.body());
  }

  @Test
  void clientIfNoneMatchAnswered304FromCacheWithWeakComparison_4_3_2() throws Exception {
    String p = path("client-inm");
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control", "max-age=60",
        "etag", "W/\"w1\"")));
    stack.get(p);
    HttpResponse<String> notModified = stack.get(p, "if-none-match", "\"other\", \"w1\"");
    assertEquals(304, notModified.statusCode());
    assertEquals("W/\"w1\"", notModified.headers().firstValue("etag").orElseThrow());
    assertHit(notModified);
    assertEquals(200, stack.get(p, "if-none-match", "\"other\"").statusCode());
    assertOriginSaw(p, 1);
  }

  @Test
  void clientIfModifiedSinceAnswered304FromCache_4_3_2() throws Exception {
    String p = path("client-ims");
    String lastModified = HttpDate.format(stack.clock.instant().minusSeconds(3600));
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control", "max-age=60",
        "last-modified", lastModified)));
    stack.get(p);
    assertEquals(304, stack.get(p, "if-modified-since", lastModified).statusCode());
    assertEquals(200, stack.get(p, "if-modified-since",
        HttpDate.format(stack.clock.instant().minusSeconds(7200))).statusCode());
    assertOriginSaw(p, 1);
  }
}
