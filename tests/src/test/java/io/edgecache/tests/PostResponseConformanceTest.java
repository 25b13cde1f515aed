package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/**
 * POST responses (RFC 9111 §2, §4; RFC 9110 §9.3.3): stored only with explicit freshness and a
 * Content-Location naming the request target, then reused for GETs of that target. A POST is
 * never itself answered from the cache.
 */
class PostResponseConformanceTest extends ConformanceBase {

  @Test
  void postResponseNamingItsTargetServesALaterGet_9110_9_3_3() throws Exception {
    String p = path("post-reuse");
    origin.reply(p, TestOrigin.Reply.text("result", dated("cache-control", "max-age=60",
        "content-location", p)));
    HttpResponse<String> post = stack.send("POST", p);
    assertForwarded(post, "method");
    assertStatus(post, "stored");
    HttpResponse<String> get = stack.get(p);
    assertHit(get);
    assertEquals("result", get.body());
    assertOriginSaw(p, 1);
  }

  @Test
  void aPostIsNeverAnsweredFromTheCache_9111_4() throws Exception {
    String p = path("post-again");
    origin.reply(p, TestOrigin.Reply.text("result", dated("cache-control", "max-age=60",
        "content-location", p)));
    stack.get(p);
    assertForwarded(stack.send("POST", p), "method");
    assertOriginSaw(p, 2);
  }

  @Test
  void withoutContentLocationNothingIsStored_9110_9_3_3() throws Exception {
    String p = path("post-no-cl");
    origin.reply(p, TestOrigin.Reply.text("result", dated("cache-control", "max-age=60")));
    stack.send("POST", p);
    assertForwarded(stack.get(p), "uri-miss");
    assertOriginSaw(p, 2);
  }

  @Test
  void contentLocationNamingAnotherResourceIsNotStored_9110_9_3_3() throws Exception {
    String p = path("post-other");
    String other = path("post-other-target");
    origin.reply(p, TestOrigin.Reply.text("result", dated("cache-control", "max-age=60",
        "content-location", other)));
    origin.reply(other, TestOrigin.Reply.text("other", dated("cache-control", "max-age=60")));
    stack.send("POST", p);
    assertForwarded(stack.get(p), "uri-miss");
    assertForwarded(stack.get(other), "uri-miss");
  }

  @Test
  void withoutExplicitFreshnessNothingIsStored_9110_9_3_3() throws Exception {
    String p = path("post-heuristic");
    origin.reply(p, TestOrigin.Reply.text("result", dated("content-location", p,
        "last-modified", "Sat, 21 Nov 2020 12:00:00 GMT")));
    stack.send("POST", p);
    assertForwarded(stack.get(p), "uri-miss");
  }
}
