package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.config.RoutePolicy;
import io.edgecache.extproc.config.ServerConfig;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a client gets when the cache node's answers are applied as real Envoy applies them:
 * local-edge (with the ext_proc filter from envoy/envoy.yaml) mirrors Envoy's header mutation
 * rules ({@code MutationUtils::applyHeaderMutations}), its Content-Length removal by the
 * configured body mode ({@code ProcessorState::shouldRemoveContentLength}) and its local reply
 * framing ({@code Utility::prepareLocalReply}).
 */
class EnvoyFidelityEndToEndTest {

  private TestOrigin origin;
  private EdgeStack stack;

  @BeforeEach
  void start() throws Exception {
    origin = new TestOrigin();
    stack = EdgeStack.start(origin, ServerConfig.defaults().withRoutes(List.of(
        RoutePolicy.builder().pathPrefix("/shared/").shareResponsesWithSetCookie(true).build(),
        RoutePolicy.builder().pathPrefix("/same-for-all/").shareResponsesWithSetCookie(true).storeSetCookie(true)
            .build())));
  }

  @AfterEach
  void stop() throws Exception {
    stack.close();
    origin.close();
  }

  private String date() {
    return HttpDate.format(stack.clock.instant());
  }

  /**
   * Must show 1: repeated field lines survive Envoy's overwrite-by-default mutations. The miss
   * passes both Link and both Set-Cookie lines through; the hit, an immediate response whose
   * lines Envoy applies one by one, keeps both Link lines. The two Cache-Control lines were one
   * before the node saw them: Envoy's header map holds Cache-Control inline (the compressor and
   * cache filters register it) and joins a repeated line to it with a comma. (A route that
   * shares responses carrying Set-Cookie but does not store the cookie keeps no Set-Cookie on
   * the hit: one client's cookie never reaches another.)
   */
  @Test
  void repeatedLinesSurviveOnMissAndHit() throws Exception {
    HttpResponse<String> hit = missThenHit("/shared/page");
    assertEquals(List.of("public,max-age=60"), hit.headers().allValues("cache-control"));
    assertEquals(List.of(), hit.headers().allValues("set-cookie"));
  }

  /**
   * Must show 1 on a route that stores Set-Cookie (storeSetCookie): the hit replays both
   * Set-Cookie lines next to both Link lines.
   */
  @Test
  void repeatedSetCookieLinesSurviveOnAHitWhereTheRouteStoresThem() throws Exception {
    HttpResponse<String> hit = missThenHit("/same-for-all/page");
    assertEquals(List.of("a=1; Path=/", "b=2; Path=/"), hit.headers().allValues("set-cookie"));
  }

  /**
   * Serves {@code path} with two Link and two Set-Cookie lines, fetches it twice and returns the
   * second answer, a hit with both Link lines; the miss carries both of each.
   */
  private HttpResponse<String> missThenHit(String path) throws Exception {
    origin.reply(path, TestOrigin.Reply.text("page",
        "date", date(), "content-type", "text/html",
        "cache-control", "public", "cache-control", "max-age=60",
        "link", "</a.css>; rel=preload; as=style", "link", "</b.js>; rel=preload; as=script",
        "set-cookie", "a=1; Path=/", "set-cookie", "b=2; Path=/"));

    HttpResponse<String> miss = stack.get(path);
    assertEquals(200, miss.statusCode());
    assertEquals(List.of("</a.css>; rel=preload; as=style", "</b.js>; rel=preload; as=script"),
        miss.headers().allValues("link"));
    assertEquals(List.of("a=1; Path=/", "b=2; Path=/"), miss.headers().allValues("set-cookie"));

    HttpResponse<String> hit = stack.get(path);
    assertTrue(hit.headers().firstValue("cache-status").orElse("").contains("hit"), hit.headers().toString());
    assertEquals("page", hit.body());
    assertEquals(List.of("</a.css>; rel=preload; as=style", "</b.js>; rel=preload; as=script"),
        hit.headers().allValues("link"));
    assertEquals(1, origin.count(path));
    return hit;
  }

  /**
   * Must show 2: with response body NONE configured and STREAMED switched on by mode_override
   * only for a stored response, a miss and a pass keep the origin's Content-Length, and a HEAD
   * hit gets the stored length back from Envoy's local reply.
   */
  @Test
  void missPassAndHeadHitKeepContentLength() throws Exception {
    origin.reply("/stored", TestOrigin.Reply.text("0123456789",
        "date", date(), "cache-control", "max-age=60", "content-type", "text/plain"));
    origin.reply("/passed", TestOrigin.Reply.text("01234567890123456789",
        "date", date(), "cache-control", "private", "content-type", "text/plain"));

    HttpResponse<String> miss = stack.get("/stored");
    assertTrue(miss.headers().firstValue("cache-status").orElse("").contains("stored"), miss.headers().toString());
    assertEquals("10", miss.headers().firstValue("content-length").orElse(null), miss.headers().toString());
    assertTrue(miss.headers().firstValue("transfer-encoding").isEmpty(), miss.headers().toString());

    HttpResponse<String> pass = stack.get("/passed");
    assertTrue(pass.headers().firstValue("cache-status").orElse("").contains("fwd="), pass.headers().toString());
    assertEquals("20", pass.headers().firstValue("content-length").orElse(null), pass.headers().toString());

    HttpResponse<String> headPass = stack.send("HEAD", "/passed");
    assertEquals("20", headPass.headers().firstValue("content-length").orElse(null), headPass.headers().toString());

    HttpResponse<String> headHit = stack.send("HEAD", "/stored");
    assertTrue(headHit.headers().firstValue("cache-status").orElse("").contains("hit"), headHit.headers().toString());
    assertEquals("10", headHit.headers().firstValue("content-length").orElse(null), headHit.headers().toString());
    assertEquals("", headHit.body());
    assertEquals(1, origin.count("/stored"));
  }
}
