package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.edgecache.extproc.config.CookiePolicy;
import io.edgecache.extproc.config.QueryKeyPolicy;
import io.edgecache.extproc.config.RoutePolicy;
import io.edgecache.extproc.config.ServerConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Per-route policies, from "cache everything static" to "never cache", and what they do to
 * the key; plus negative caching and the Cache-Status values they produce (RFC 9211).
 */
class RoutePolicyConformanceTest extends ConformanceBase {

  @Override
  protected ServerConfig config() {
    return ServerConfig.defaults().withRoutes(List.of(
        RoutePolicy.builder().pathPrefix("/static/").mode(RoutePolicy.Mode.CACHE_EVERYTHING)
            .defaultTtl(Duration.ofMinutes(5)).build(),
        RoutePolicy.builder().pathPrefix("/api/").mode(RoutePolicy.Mode.BYPASS).build(),
        RoutePolicy.builder().pathPrefix("/capped/").maxTtl(Duration.ofSeconds(30)).build(),
        RoutePolicy.builder().pathPrefix("/sorted/")
            .query(new QueryKeyPolicy(QueryKeyPolicy.Mode.SORT, Set.of(), Set.of("utm_source")))
            .build(),
        RoutePolicy.builder().pathPrefix("/noquery/")
            .query(new QueryKeyPolicy(QueryKeyPolicy.Mode.IGNORE, Set.of(), Set.of())).build(),
        RoutePolicy.builder().pathPrefix("/session/")
            .cookies(new CookiePolicy(true, Set.of("_ga"))).build(),
        RoutePolicy.builder().pathPrefix("/device/").keyHeaders(List.of("x-device")).build(),
        RoutePolicy.builder().pathPrefix("/small/").maxObjectBytes(4).build(),
        RoutePolicy.builder().pathPrefix("/errors/")
            .negativeTtls(Map.of(404, Duration.ofSeconds(30))).build()));
  }

  @Test
  void cacheEverythingGivesTheDefaultTtlWhateverTheOriginSays() throws Exception {
    String p = "/static" + path("app.js");
    origin.reply(p, TestOrigin.Reply.text("js", dated("cache-control", "max-age=0")));
    assertStatus(stack.get(p), "stored; ttl=300");
    advance(200);
    assertHit(stack.get(p));
  }

  @Test
  void cacheEverythingStillNeverStoresWhatMustNotBeShared() throws Exception {
    String p = "/static" + path("cookie");
    origin.reply(p, TestOrigin.Reply.text("js", dated("set-cookie", "s=1")));
    stack.get(p);
    stack.get(p);
    assertOriginSaw(p, 2);
  }

  /**
   * Cache-poisoned denial of service: an origin answers one client's oversized or odd request
   * with an error; cache-everything must not hand that error to every client for its TTL.
   */
  @Test
  void cacheEverythingLeavesRequestProvokedErrorsToTheOrigin() throws Exception {
    for (int status : new int[] {400, 405, 414, 431, 500, 501, 502, 503}) {
      String p = "/static" + path("error-" + status);
      origin.reply(p, TestOrigin.Reply.status(status, "no", dated("content-type", "text/plain")));
      assertEquals(status, stack.get(p).statusCode());
      stack.get(p);
      assertOriginSaw(p, 2);
    }
    String p = "/static" + path("error-with-freshness");
    origin.reply(p, TestOrigin.Reply.status(503, "later",
        dated("cache-control", "max-age=7")));
    assertStatus(stack.get(p), "stored; ttl=7"); // the origin's own word still counts
  }

  @Test
  void bypassRouteNeverTouchesTheCache_RFC9211_fwd_bypass() throws Exception {
    String p = "/api" + path("users");
    origin.reply(p, TestOrigin.Reply.text("[]", dated("cache-control", "max-age=60")));
    assertStatus(stack.get(p), "fwd=bypass; fwd-status=200; detail=route");
    stack.get(p);
    assertOriginSaw(p, 2);
  }

  @Test
  void maxTtlCapsTheOriginsLifetime() throws Exception {
    String p = "/capped" + path("x");
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control", "max-age=3600")));
    assertStatus(stack.get(p), "stored; ttl=30");
  }

  @Test
  void sortedQueryWithDeniedTrackingParametersSharesOneEntry() throws Exception {
    String p = "/sorted" + path("list");
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control", "max-age=60")));
    stack.get(p + "?b=2&a=1&utm_source=mail");
    assertHit(stack.get(p + "?a=1&b=2"));
    assertForwarded(stack.get(p + "?a=1&b=3"), "uri-miss");
  }

  @Test
  void ignoredQueryIsNotPartOfTheKey() throws Exception {
    String p = "/noquery" + path("page");
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control", "max-age=60")));
    stack.get(p + "?v=1");
    assertHit(stack.get(p + "?v=2"));
  }

  @Test
  void sessionCookieBypassesButIgnoredCookiesDoNot() throws Exception {
    String p = "/session" + path("home");
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control", "max-age=60")));
    stack.get(p);
    assertHit(stack.get(p, "cookie", "_ga=GA1.2"));
    assertStatus(stack.get(p, "cookie", "_ga=GA1.2; session=abc"), "fwd=bypass");
    assertOriginSaw(p, 2);
  }

  /** Origins reading the RFC 2965 form split on commas: a session behind _ga is still one. */
  @Test
  void aSessionCookieAfterACommaStillBypasses() throws Exception {
    String p = "/session" + path("comma");
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control", "max-age=60")));
    stack.get(p);
    assertStatus(stack.get(p, "cookie", "_ga=GA1.2, session=abc"), "fwd=bypass");
  }

  @Test
  void extraKeyHeadersSplitTheEntry() throws Exception {
    String p = "/device" + path("page");
    origin.reply(p, TestOrigin.Reply.text("x", dated("cache-control", "max-age=60")));
    stack.get(p, "x-device", "mobile");
    assertForwarded(stack.get(p, "x-device", "desktop"), "uri-miss");
    assertHit(stack.get(p, "x-device", "mobile"));
  }

  @Test
  void routeMaxObjectSizePassesLargerBodiesThrough() throws Exception {
    String p = "/small" + path("blob");
    origin.reply(p, TestOrigin.Reply.text("too big", dated("cache-control", "max-age=60")));
    assertStatus(stack.get(p), "detail=too-large");
    stack.get(p);
    assertOriginSaw(p, 2);
  }

  @Test
  void negativeCachingOnlyWhereTheRouteSetsATtl() throws Exception {
    String p = "/errors" + path("gone");
    origin.reply(p, TestOrigin.Reply.status(404, "nope", dated("content-type", "text/plain")));
    assertStatus(stack.get(p), "stored; ttl=30");
    HttpResponseAssert.status(stack.get(p), 404);
    assertOriginSaw(p, 1);
    String elsewhere = path("missing");
    origin.reply(elsewhere, TestOrigin.Reply.status(404, "nope",
        dated("content-type", "text/plain")));
    stack.get(elsewhere);
    stack.get(elsewhere);
    assertEquals(2, origin.count(elsewhere), "off by default");
  }

  /** Status assertion that keeps the Cache-Status in the failure message. */
  private static final class HttpResponseAssert {
    static void status(java.net.http.HttpResponse<?> response, int expected) {
      assertEquals(expected, response.statusCode(), cacheStatus(response));
      assertHit(response);
    }
  }
}
