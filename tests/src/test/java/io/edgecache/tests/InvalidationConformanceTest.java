package io.edgecache.tests;

import org.junit.jupiter.api.Test;

/** RFC 9111 §4.4: invalidation by unsafe methods. */
class InvalidationConformanceTest extends ConformanceBase {

  private String cached(String p) throws Exception {
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control", "max-age=600")));
    stack.get(p);
    assertHit(stack.get(p));
    return p;
  }

  @Test
  void successfulPostInvalidatesItsTarget_4_4() throws Exception {
    String p = cached(path("post-target"));
    stack.send("POST", p);
    assertForwarded(stack.get(p), "uri-miss");
  }

  @Test
  void putInvalidatesSameHostLocationAndContentLocation_4_4() throws Exception {
    String target = path("put-target");
    String location = cached(path("location"));
    String contentLocation = cached(path("content-location"));
    origin.reply(target, TestOrigin.Reply.status(201, "", "location", location,
        "content-location", "http://127.0.0.1" + contentLocation));
    stack.send("PUT", target);
    assertForwarded(stack.get(location), "uri-miss");
    // Content-Location names host 127.0.0.1 without the edge's port: another origin, kept.
    assertHit(stack.get(contentLocation));
  }

  /** OPTIONS (every CORS preflight) and TRACE are safe: they must not empty the cache. */
  @Test
  void safeMethodsInvalidateNothing_4_4() throws Exception {
    String p = cached(path("safe-target"));
    stack.send("OPTIONS", p);
    stack.send("TRACE", p);
    assertHit(stack.get(p));
  }

  /**
   * LINK: a method Envoy's HTTP/1 codec passes (it refuses one outside http-parser's list, such
   * as FROBNICATE, with 400 before any filter) and whose safety the cache does not know.
   */
  @Test
  void aMethodOfUnknownSafetyInvalidates_4_4() throws Exception {
    String p = cached(path("unknown-method-target"));
    stack.send("LINK", p);
    assertForwarded(stack.get(p), "uri-miss");
  }

  @Test
  void failedDeleteInvalidatesNothing_4_4() throws Exception {
    String p = cached(path("delete-failed"));
    origin.reply(p, TestOrigin.Reply.status(500, "no", "cache-control", "max-age=600"));
    stack.send("DELETE", p);
    assertHit(stack.get(p));
  }
}
