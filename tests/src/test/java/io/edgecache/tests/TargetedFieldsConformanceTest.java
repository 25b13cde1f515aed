package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.config.ServerConfig;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** RFC 9213 targeted cache-control fields: CDN-Cache-Control and edgecache's own. */
class TargetedFieldsConformanceTest extends ConformanceBase {

  @Test
  void cdnCacheControlTakesPrecedence_9213_2_1() throws Exception {
    String p = path("cdn-cc");
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control", "no-store",
        "cdn-cache-control", "max-age=60")));
    stack.get(p);
    HttpResponse<String> hit = stack.get(p);
    assertHit(hit);
    assertTrue(hit.headers().firstValue("cdn-cache-control").isPresent(),
        "kept for caches further down unless stripping is configured");
  }

  @Test
  void edgecacheFieldOutranksCdnCacheControl_9213_2_1() throws Exception {
    String p = path("edgecache-cc");
    origin.reply(p, TestOrigin.Reply.text("x", dated("cdn-cache-control", "max-age=60",
        "edgecache-control", "no-store")));
    stack.get(p);
    stack.get(p);
    assertOriginSaw(p, 2);
  }

  @Test
  void targetedFieldsCanBeStrippedBeforeTheClient_9213() throws Exception {
    restart(ServerConfig.defaults().withTargetedFields("x-my-cdn-control", true));
    String p = path("strip");
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control", "max-age=5",
        "x-my-cdn-control", "max-age=60", "cdn-cache-control", "max-age=1")));
    HttpResponse<String> miss = stack.get(p);
    assertFalse(miss.headers().firstValue("x-my-cdn-control").isPresent());
    assertFalse(miss.headers().firstValue("cdn-cache-control").isPresent());
    advance(30);
    HttpResponse<String> hit = stack.get(p);
    assertHit(hit); // the configured field's max-age=60 won
    assertFalse(hit.headers().firstValue("x-my-cdn-control").isPresent());
  }

  @Test
  void invalidCdnCacheControlIsIgnoredAsAWhole_9213_2_2() throws Exception {
    String p = path("cdn-cc-invalid");
    // Not an RFC 8941 Dictionary (keys are lower case): Cache-Control's no-store applies,
    // where a lenient parse would read max-age=60 and store it.
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control", "no-store",
        "cdn-cache-control", "max-age=60, Public")));
    stack.get(p);
    HttpResponse<String> second = stack.get(p);
    assertForwarded(second, "uri-miss");
    assertOriginSaw(p, 2);
  }

  @Test
  void invalidEdgecacheFieldFallsBackToCdnCacheControl_9213_2_2() throws Exception {
    String p = path("edgecache-cc-invalid");
    // Upper-case keys are not RFC 8941 keys, so the edgecache field is ignored.
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control", "no-store",
        "cdn-cache-control", "max-age=60", "edgecache-control", "No-Store")));
    stack.get(p);
    assertHit(stack.get(p));
    assertOriginSaw(p, 1);
  }
}
