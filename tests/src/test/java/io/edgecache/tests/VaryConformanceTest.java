package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.edgecache.extproc.config.RoutePolicy;
import io.edgecache.extproc.config.ServerConfig;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RFC 9111 §4.1: secondary keys. */
class VaryConformanceTest extends ConformanceBase {

  @Override
  protected ServerConfig config() {
    return ServerConfig.defaults().withRoutes(List.of(RoutePolicy.builder()
        .normalizeHeaders(List.of("accept-encoding")).build()));
  }

  @Test
  void severalVariantsOfOneUrlAreKept_4_1() throws Exception {
    String p = path("variants");
    origin.reply(p, TestOrigin.Reply.text("hello", dated("cache-control", "max-age=60",
        "vary", "accept-language")));
    stack.get(p, "accept-language", "en");
    assertForwarded(stack.get(p, "accept-language", "fr"), "vary-miss");
    assertHit(stack.get(p, "accept-language", "en"));
    assertHit(stack.get(p, "accept-language", "fr"));
    assertOriginSaw(p, 2);
  }

  @Test
  void varyStarIsNeverServed_4_1() throws Exception {
    String p = path("vary-star");
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control", "max-age=60",
        "vary", "*")));
    stack.get(p);
    stack.get(p);
    assertOriginSaw(p, 2);
  }

  @Test
  void whitespaceInListValuesIsNormalised_4_1() throws Exception {
    String p = path("whitespace");
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control", "max-age=60",
        "vary", "accept-language")));
    stack.get(p, "accept-language", "en,   fr");
    assertHit(stack.get(p, "accept-language", "en, fr"));
  }

  @Test
  void routeNormalisesAcceptEncoding() throws Exception {
    String p = path("encoding");
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control", "max-age=60",
        "vary", "Accept-Encoding")));
    stack.get(p, "accept-encoding", "gzip, deflate, br");
    assertHit(stack.get(p, "accept-encoding", "br;q=1.0, gzip;q=0.8"));
    assertForwarded(stack.get(p, "accept-encoding", "gzip"), "vary-miss");
    assertEquals(2, origin.count(p));
  }

  @Test
  void aMissingVariedFieldIsItsOwnVariant_4_1() throws Exception {
    String p = path("absent");
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control", "max-age=60",
        "vary", "x-device")));
    stack.get(p);
    assertForwarded(stack.get(p, "x-device", "mobile"), "vary-miss");
    assertHit(stack.get(p));
  }

  @Test
  void acceptLanguageCaseAndOrderAreNormalised_4_1() throws Exception {
    String p = path("language-order");
    // No Content-Language: only the normalised secondary key can make the second request a hit.
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control", "max-age=60",
        "vary", "accept-language")));
    stack.get(p, "accept-language", "en-US, fr;q=0.5, de;q=0.5");
    assertHit(stack.get(p, "accept-language", "DE;q=0.50, fr;q=0.5, EN-us"));
    assertForwarded(stack.get(p, "accept-language", "fr, en-US;q=0.5"), "vary-miss");
    assertOriginSaw(p, 2);
  }

  @Test
  void aStoredLanguageTheRequestPrefersMostIsChosen_4_1() throws Exception {
    String p = path("language-pick");
    origin.reply(p, TestOrigin.Reply.text("english", dated("cache-control", "max-age=60",
        "vary", "accept-language", "content-language", "en")));
    stack.get(p, "accept-language", "en");
    HttpResponse<String> hit = stack.get(p, "accept-language", "en-GB, en;q=0.9");
    assertHit(hit);
    assertEquals("english", hit.body());

    origin.reply(p, TestOrigin.Reply.text("francais", dated("cache-control", "max-age=60",
        "vary", "accept-language", "content-language", "fr")));
    // English is acceptable but French is preferred: the origin is asked, not the cache.
    HttpResponse<String> french = stack.get(p, "accept-language", "fr-CA, fr;q=0.9, en;q=0.5");
    assertForwarded(french, "vary-miss");
    assertEquals("francais", french.body());
    assertEquals("francais", stack.get(p, "accept-language", "fr").body());
    assertOriginSaw(p, 2);
  }
}
