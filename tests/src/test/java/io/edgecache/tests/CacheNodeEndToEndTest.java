package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.config.RoutePolicy;
import io.edgecache.extproc.config.ServerConfig;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The quick-start cache node end to end: a real HTTP client, local-edge with the ext_proc
 * filter from envoy/envoy.yaml, the ext_proc server over real gRPC, and a real origin.
 */
class CacheNodeEndToEndTest {

  private TestOrigin origin;
  private EdgeStack stack;

  @BeforeEach
  void start() throws Exception {
    origin = new TestOrigin();
    stack = EdgeStack.start(origin);
  }

  @AfterEach
  void stop() throws Exception {
    stack.close();
    origin.close();
  }

  /** Fields a dated, cacheable origin response carries, so Age starts at 0. */
  private String[] cacheable(String cacheControl, String... more) {
    String[] base = {"cache-control", cacheControl, "date",
        HttpDate.format(stack.clock.instant()), "content-type", "text/plain"};
    String[] all = new String[base.length + more.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(more, 0, all, base.length, more.length);
    return all;
  }

  @Test
  void missThenHitWithGrowingAge() throws Exception {
    origin.reply("/", TestOrigin.Reply.text("hello, cache\n", cacheable("public, max-age=60")));

    HttpResponse<String> miss = stack.get("/");
    assertEquals(200, miss.statusCode());
    assertEquals("hello, cache\n", miss.body());
    assertEquals("edgecache; fwd=uri-miss; fwd-status=200; stored; ttl=60", cacheStatus(miss));

    stack.clock.advance(Duration.ofSeconds(7));
    HttpResponse<String> hit = stack.get("/");
    assertEquals(200, hit.statusCode());
    assertEquals("hello, cache\n", hit.body());
    assertEquals("edgecache; hit; ttl=53", cacheStatus(hit));
    assertEquals("7", hit.headers().firstValue("age").orElseThrow());
    assertEquals("text/plain", hit.headers().firstValue("content-type").orElseThrow());

    stack.clock.advance(Duration.ofSeconds(5));
    HttpResponse<String> older = stack.get("/");
    assertEquals("12", older.headers().firstValue("age").orElseThrow());
    assertEquals(1, origin.count("/"), "the origin saw only the first request");

    stack.clock.advance(Duration.ofSeconds(60));
    HttpResponse<String> expired = stack.get("/");
    assertTrue(cacheStatus(expired).contains("fwd=uri-miss"), cacheStatus(expired));
    assertEquals(2, origin.count("/"), "a stale entry is not served");
  }

  @Test
  void receivedAgeCountsTowardsTheEntrysAge() throws Exception {
    origin.reply("/aged", TestOrigin.Reply.text("x", cacheable("max-age=60", "age", "50")));
    stack.get("/aged");
    stack.clock.advance(Duration.ofSeconds(4));
    HttpResponse<String> hit = stack.get("/aged");
    assertEquals("54", hit.headers().firstValue("age").orElseThrow());
    assertEquals("edgecache; hit; ttl=6", cacheStatus(hit));
  }

  @Test
  void noStoreIsNeverServedFromCache() throws Exception {
    assertNeverCached("/no-store", "detail=no-store", "", cacheable("no-store"));
  }

  @Test
  void privateIsNeverServedFromCache() throws Exception {
    assertNeverCached("/private", "detail=private", "", cacheable("private, max-age=60"));
  }

  @Test
  void setCookieIsNeverServedFromCache() throws Exception {
    assertNeverCached("/cookie", "detail=set-cookie", "",
        cacheable("public, max-age=60", "set-cookie", "session=abc; HttpOnly"));
  }

  @Test
  void authorizedRequestsAreNeverAnsweredFromCache() throws Exception {
    origin.reply("/account", TestOrigin.Reply.text("alice", cacheable("max-age=60")));
    for (int i = 1; i <= 2; i++) {
      HttpResponse<String> response = stack.get("/account", "authorization", "Bearer alice");
      assertTrue(cacheStatus(response).contains("fwd=request"), cacheStatus(response));
      assertEquals(i, origin.count("/account"));
    }
    // Without public/s-maxage/must-revalidate it was not stored for anyone else either.
    HttpResponse<String> anonymous = stack.get("/account");
    assertTrue(cacheStatus(anonymous).contains("fwd=uri-miss"), cacheStatus(anonymous));
    assertEquals(3, origin.count("/account"));
  }

  @Test
  void setCookieSharedOnlyWhereTheRouteSaysSoAndNeverWithTheCookie() throws Exception {
    stack.close();
    stack = EdgeStack.start(origin, ServerConfig.defaults()
        .withRoutes(List.of(RoutePolicy.builder().pathPrefix("/shared/").shareResponsesWithSetCookie(true).build())));
    origin.reply("/shared/page", TestOrigin.Reply.text("page",
        cacheable("public, max-age=60", "set-cookie", "session=abc")));
    HttpResponse<String> first = stack.get("/shared/page");
    assertEquals("session=abc", first.headers().firstValue("set-cookie").orElseThrow(),
        "the client that caused the fetch still gets its cookie");
    HttpResponse<String> hit = stack.get("/shared/page");
    assertTrue(cacheStatus(hit).contains("hit"), cacheStatus(hit));
    assertFalse(hit.headers().firstValue("set-cookie").isPresent(),
        "a stored response never hands one client's cookie to another");
    assertEquals(1, origin.count("/shared/page"));
  }

  @Test
  void headIsAnsweredFromAStoredGet() throws Exception {
    origin.reply("/doc", TestOrigin.Reply.text("0123456789", cacheable("max-age=60")));
    stack.get("/doc");
    HttpResponse<String> head = stack.send("HEAD", "/doc");
    assertEquals(200, head.statusCode());
    assertEquals("", head.body());
    assertEquals("10", head.headers().firstValue("content-length").orElseThrow());
    assertTrue(cacheStatus(head).contains("hit"), cacheStatus(head));
    assertEquals(1, origin.count("/doc"));
  }

  @Test
  void aHitOfSeveralMebibytesTravelsInOneImmediateResponse() throws Exception {
    // Above grpc-java's default 4 MiB message limit, below the 8 MiB object limit: Envoy's
    // ext_proc client takes such a message whole, and so must local-edge.
    String body = "0123456789abcdef".repeat(6 << 16); // 6 MiB
    origin.reply("/big", TestOrigin.Reply.text(body, cacheable("max-age=60")));
    assertTrue(cacheStatus(stack.get("/big")).contains("stored"));
    HttpResponse<String> hit = stack.get("/big");
    assertTrue(cacheStatus(hit).contains("hit"), cacheStatus(hit));
    assertEquals(body, hit.body());
    assertEquals(1, origin.count("/big"));
  }

  @Test
  void unsafeMethodsPassThrough() throws Exception {
    origin.reply("/form", TestOrigin.Reply.text("ok", cacheable("max-age=60")));
    HttpResponse<String> post = stack.send("POST", "/form");
    assertEquals("edgecache; fwd=method; fwd-status=200; detail=method", cacheStatus(post));
    stack.send("POST", "/form");
    assertEquals(2, origin.count("/form"));
  }

  @Test
  void queryStringsAreSeparateEntries() throws Exception {
    origin.reply("/q", TestOrigin.Reply.text("q", cacheable("max-age=60")));
    stack.get("/q?a=1");
    stack.get("/q?a=2");
    assertTrue(cacheStatus(stack.get("/q?a=1")).contains("hit"));
    assertEquals(2, origin.count("/q"));
  }

  private void assertNeverCached(String path, String detail, String body, String... headers)
      throws Exception {
    origin.reply(path, TestOrigin.Reply.text(body, headers));
    for (int i = 1; i <= 2; i++) {
      HttpResponse<String> response = stack.get(path);
      assertEquals(200, response.statusCode());
      assertTrue(cacheStatus(response).contains("fwd=uri-miss"), cacheStatus(response));
      assertTrue(cacheStatus(response).contains(detail), cacheStatus(response));
      assertEquals(i, origin.count(path), "request " + i + " reached the origin");
    }
  }

  private static String cacheStatus(HttpResponse<?> response) {
    return response.headers().firstValue("cache-status").orElse("(no Cache-Status)");
  }
}
