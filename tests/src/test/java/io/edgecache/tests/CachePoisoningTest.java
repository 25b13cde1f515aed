package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.config.CookiePolicy;
import io.edgecache.extproc.config.QueryKeyPolicy;
import io.edgecache.extproc.config.RoutePolicy;
import io.edgecache.extproc.config.ServerConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The cache poisoning and deception suite: each test is one attack, run as an attacker would
 * through local-edge against an origin that reflects its request ({@link ReflectingOrigin}),
 * followed by a clean client's request for the same URL, which must get the clean response.
 * The node runs the demo's two route shapes: {@code /static/} caches everything for 5 minutes
 * (cookies included: it opts in, so only path normalisation keeps other pages out of it) with
 * a tracking parameter left out of the key; {@code /} respects the origin with the demo's 60 s
 * default TTL, the setting that used to share personal pages.
 */
class CachePoisoningTest {

  private static final AtomicInteger PATHS = new AtomicInteger();
  private static final String HOST = "Host: victim.example";

  private static ReflectingOrigin origin;
  private static EdgeStack stack;

  @BeforeAll
  static void start() throws Exception {
    origin = new ReflectingOrigin();
    RoutePolicy staticRoute = RoutePolicy.builder()
        .pathPrefix("/static/")
        .mode(RoutePolicy.Mode.CACHE_EVERYTHING)
        .defaultTtl(Duration.ofMinutes(5))
        .query(new QueryKeyPolicy(QueryKeyPolicy.Mode.SORT, Set.of(), Set.of("utm_source")))
        .cacheEverythingWithCredentials(true)
        .storeResponsesToCookieRequests(true)
        .normalizeHeaders(List.of("accept-encoding"))
        .build();
    RoutePolicy pages = RoutePolicy.builder()
        .pathPrefix("/")
        .defaultTtl(Duration.ofSeconds(60))
        .cookies(new CookiePolicy(false, Set.of("_ga")))
        .normalizeHeaders(List.of("accept-encoding"))
        .build();
    stack = EdgeStack.start(origin.url(),
        ServerConfig.defaults().withRoutes(List.of(staticRoute, pages)));
  }

  @AfterAll
  static void stop() {
    stack.close();
    origin.close();
  }

  private static String unique(String name) {
    return name + "-" + PATHS.incrementAndGet();
  }

  private static RawHttp.Response get(String target, String... headerLines) throws IOException {
    return send("GET " + target + " HTTP/1.1", null, withHost(headerLines));
  }

  private static RawHttp.Response send(String requestLine, String body, String... headerLines)
      throws IOException {
    return RawHttp.send(stack.edge.port(), requestLine, body, headerLines);
  }

  private static String[] withHost(String... headerLines) {
    String[] all = new String[headerLines.length + 1];
    all[0] = HOST;
    System.arraycopy(headerLines, 0, all, 1, headerLines.length);
    return all;
  }

  private static void assertCacheStatus(RawHttp.Response response, String... members) {
    for (String member : members) {
      assertTrue(response.cacheStatus().contains(member),
          "expected '" + member + "' in Cache-Status: " + response.cacheStatus());
    }
  }

  private static void assertClean(RawHttp.Response response, String attackerValue) {
    assertEquals(200, response.status(), response.body());
    assertFalse(response.body().contains(attackerValue),
        "the clean client got the attacker's input:\n" + response.body());
  }

  // ---- unsafe defaults: cookies and credentials ----

  @Test
  void unsafeDefaultsPersonalPageWithSessionCookieIsNotShared() throws IOException {
    String page = unique("/account");
    RawHttp.Response alice = get(page, "Cookie: session=alice-secret");
    assertTrue(alice.body().contains("alice-secret"), alice.body());
    assertCacheStatus(alice, "fwd=uri-miss", "detail=cookie");

    RawHttp.Response next = get(page);
    assertClean(next, "alice-secret");
    assertCacheStatus(next, "fwd=uri-miss", "stored");
    // an analytics cookie the route ignores does not stop sharing: the default stays useful
    assertCacheStatus(get(page, "Cookie: _ga=GA1.2.3"), "hit");
  }

  @Test
  void unsafeDefaultsCacheEverythingSkipsRequestsWithCredentials() throws Exception {
    RoutePolicy optedOut = RoutePolicy.builder().pathPrefix("/")
        .mode(RoutePolicy.Mode.CACHE_EVERYTHING).defaultTtl(Duration.ofMinutes(5)).build();
    try (ReflectingOrigin own = new ReflectingOrigin();
        EdgeStack strict = EdgeStack.start(own.url(),
            ServerConfig.defaults().withRoutes(List.of(optedOut)))) {
      for (String credential : List.of("Cookie: session=alice-secret",
          "Authorization: Bearer alice-secret")) {
        String page = unique("/profile");
        RawHttp.Response alice = RawHttp.send(strict.edge.port(), "GET " + page + " HTTP/1.1",
            null, HOST, credential);
        assertTrue(alice.body().contains("alice-secret"), alice.body());
        RawHttp.Response next =
            RawHttp.send(strict.edge.port(), "GET " + page + " HTTP/1.1", null, HOST);
        assertClean(next, "alice-secret");
        assertCacheStatus(next, "fwd=uri-miss", "stored");
      }
    }
  }

  // ---- web cache deception: path variants ----

  /**
   * Each target names a page outside {@code /static/} in a form that a raw prefix match would
   * put under the cache-everything route; normalised, it is the personal page it is.
   */
  @ParameterizedTest
  @ValueSource(strings = {"/static/../%s", "/static/%%2e%%2e/%s", "/static/.%%2E/%s",
      "//static//..//%s", "/static/x/../../%s", "/static/%%2E%%2e/./%s", "/%s/.", "/%s/x/.."})
  void webCacheDeceptionDotSegmentVariantsAreNormalised(String template) throws IOException {
    String target = String.format(template, unique("account"));
    RawHttp.Response victim = get(target, "Cookie: session=alice-secret");
    assertEquals(200, victim.status(), victim.body());
    assertFalse(victim.body().contains("target=/static/"), victim.body());
    assertCacheStatus(victim, "detail=cookie");

    RawHttp.Response attacker = get(target);
    assertClean(attacker, "alice-secret");
    assertCacheStatus(attacker, "fwd=uri-miss");
  }

  @ParameterizedTest
  @ValueSource(strings = {"/static/..%%2f%s", "/static/..%%2F%s", "/static/..%%5c%s",
      "/static/..\\%s", "/static/%%2e%%2e%%2f%s"})
  void webCacheDeceptionEncodedSlashesAndBackslashesAreRejected(String template)
      throws IOException {
    String target = String.format(template, unique("account"));
    RawHttp.Response victim = get(target, "Cookie: session=alice-secret");
    assertEquals(400, victim.status(), victim.body());
    assertFalse(victim.body().contains("alice-secret"));
    RawHttp.Response attacker = get(target);
    assertEquals(400, attacker.status());
    assertFalse(attacker.body().contains("alice-secret"));
  }

  @Test
  void webCacheDeceptionDotSegmentBehindSemicolonBypassesTheCache() throws IOException {
    // Tomcat and Spring read /static/..;/account as /account; the route says /static/.
    String target = "/static/..;/" + unique("account");
    RawHttp.Response victim = get(target, "Cookie: session=alice-secret");
    assertCacheStatus(victim, "fwd=bypass", "detail=ambiguous-path");
    RawHttp.Response attacker = get(target);
    assertClean(attacker, "alice-secret");
    assertCacheStatus(attacker, "fwd=bypass", "detail=ambiguous-path");
  }

  @Test
  void webCacheDeceptionSemicolonAndTrailingDotStayTheirOwnKeys() throws IOException {
    // A suffix after ';' or a trailing dot does not move a page under /static/: prefix
    // routing is on the normalised path, and these stay personal-page keys.
    for (String target : List.of("/" + unique("account") + ";/static/x.css",
        "/" + unique("account") + "./static.css", "/" + unique("account") + "%3B.css")) {
      RawHttp.Response victim = get(target, "Cookie: session=alice-secret");
      assertCacheStatus(victim, "detail=cookie");
      RawHttp.Response attacker = get(target);
      assertClean(attacker, "alice-secret");
      assertCacheStatus(attacker, "fwd=uri-miss");
    }
  }

  // ---- unkeyed inputs ----

  @ParameterizedTest
  @ValueSource(strings = {"X-Forwarded-Host: evil.example", "X-Host: evil.example",
      "Forwarded: host=evil.example;proto=http", "X-Original-URL: /evil.example",
      "X-Rewrite-URL: /evil.example", "X-Forwarded-Scheme: evil.example",
      "x-FORWARDED-host: evil.example", "X-Original-Host: evil.example",
      "X-Original-URI: /evil.example", "X-Forwarded-Uri: /evil.example",
      "X-Forwarded-Path: /evil.example", "X-Forwarded-Ssl: evil.example",
      "Front-End-Https: evil.example", "X-Url-Scheme: evil.example"})
  void unkeyedForwardingHeadersNeverReachTheOrigin(String header) throws IOException {
    String page = unique("/static/page");
    RawHttp.Response attacker = get(page, header);
    assertClean(attacker, "evil.example");
    assertCacheStatus(attacker, "fwd=uri-miss", "stored");
    RawHttp.Response clean = get(page);
    assertClean(clean, "evil.example");
    assertCacheStatus(clean, "hit");
  }

  /** An edge Envoy (use_remote_address, no trusted hops) overwrites it; local-edge too. */
  @Test
  void aClientsForwardedProtoNeverReachesTheOrigin() throws IOException {
    String page = unique("/static/proto");
    RawHttp.Response attacker = get(page, "X-Forwarded-Proto: evil-https");
    assertClean(attacker, "evil-https");
    RawHttp.Response clean = get(page);
    assertClean(clean, "evil-https");
    assertCacheStatus(clean, "hit");
  }

  @Test
  void hopByHopConnectionNamingAForwardingHeaderPoisonsNothing() throws IOException {
    String page = unique("/static/hop");
    RawHttp.Response attacker = get(page, "Connection: X-Forwarded-Host, Cookie",
        "X-Forwarded-Host: evil.example", "Cookie: session=alice-secret");
    assertClean(attacker, "evil.example");
    RawHttp.Response clean = get(page);
    assertClean(clean, "evil.example");
    assertClean(clean, "alice-secret");
    assertCacheStatus(clean, "hit");
  }

  @Test
  void getWithBodyBypassesTheCache() throws IOException {
    String page = unique("/static/body");
    RawHttp.Response attacker =
        send("GET " + page + " HTTP/1.1", "evil-body", HOST, "Content-Type: text/plain");
    assertCacheStatus(attacker, "fwd=bypass", "detail=request-body");
    RawHttp.Response clean = get(page);
    assertClean(clean, "evil-body");
    assertCacheStatus(clean, "fwd=uri-miss", "stored");
  }

  @Test
  void queryParameterLeftOutOfTheKeyIsNotForwarded() throws IOException {
    String page = unique("/static/q");
    RawHttp.Response attacker = get(page + "?utm_source=evil-param&id=1");
    assertClean(attacker, "evil-param");
    assertTrue(attacker.body().contains("target=" + page + "?id=1\n"), attacker.body());
    RawHttp.Response clean = get(page + "?id=1");
    assertClean(clean, "evil-param");
    assertCacheStatus(clean, "hit");
  }

  // ---- HEAD, encoding, authority ----

  @Test
  void headResponseNeverRewritesTheStoredGetsRepresentation() throws IOException {
    String page = unique("/head") + "/data";
    assertCacheStatus(get(page), "stored");
    RawHttp.Response head = send("HEAD " + page + " HTTP/1.1", null, HOST,
        "Cache-Control: no-cache", "X-Reflect-Type: text/html",
        "X-Reflect-Link: <https://evil.example/x.js>; rel=preload; as=script");
    assertEquals(200, head.status());
    RawHttp.Response clean = get(page);
    assertCacheStatus(clean, "hit");
    assertEquals("application/json", clean.header("content-type"));
    assertNull(clean.header("link"), "a HEAD added a Link to the stored GET");
  }

  @Test
  void encodingNormalisationNeverServesARefusedCoding() throws IOException {
    String page = unique("/enc") + "/enc";
    RawHttp.Response attacker = get(page, "Accept-Encoding: zstd, gzip");
    assertEquals("zstd", attacker.header("content-encoding"));
    assertCacheStatus(attacker, "stored");
    for (String accept : List.of("gzip", "gzip, zstd;q=0", "br, gzip, *;q=0")) {
      RawHttp.Response clean = get(page, "Accept-Encoding: " + accept);
      assertEquals(200, clean.status());
      assertNull(clean.header("content-encoding"), "served zstd to '" + accept + "'");
    }
  }

  @Test
  void authorityWithAPathIsRejectedBeforeAKeyIsBuilt() throws IOException {
    String rest = unique("/x");
    RawHttp.Response attacker =
        send("GET " + rest + " HTTP/1.1", null, "Host: victim.example/static");
    assertEquals(400, attacker.status(), attacker.body());
    RawHttp.Response clean = get("/static" + rest);
    assertEquals(200, clean.status());
    assertCacheStatus(clean, "fwd=uri-miss");
  }

  /**
   * The key folds case and a default port, but Envoy forwards the authority as sent and may not
   * be told to rewrite it: an origin with strict virtual hosts would answer these differently.
   */
  @ParameterizedTest
  @ValueSource(strings = {"Host: VICTIM.example", "Host: victim.example:80"})
  void authorityInAnotherFormThanTheKeysBypassesTheCache(String host) throws IOException {
    String page = unique("/static/vhost");
    RawHttp.Response attacker = send("GET " + page + " HTTP/1.1", null, host);
    assertCacheStatus(attacker, "fwd=bypass", "detail=authority-not-normalized");
    String sent = host.substring("Host: ".length());
    assertTrue(attacker.body().contains("host: " + sent), attacker.body());
    RawHttp.Response clean = get(page);
    assertClean(clean, sent);
    assertCacheStatus(clean, "fwd=uri-miss", "stored");
  }

  @Test
  void duplicateHostIsRejected() throws IOException {
    String page = unique("/static/dup");
    RawHttp.Response attacker =
        send("GET " + page + " HTTP/1.1", null, HOST, "Host: evil.example");
    assertEquals(400, attacker.status(), attacker.body());
    RawHttp.Response clean = get(page);
    assertClean(clean, "evil.example");
    assertCacheStatus(clean, "fwd=uri-miss");
  }

  /**
   * An https target sent in the clear would key the origin's answer to a plaintext request
   * (x-forwarded-proto: http; often a redirect to https) under the https URL every TLS client
   * asks for. An edge Envoy refuses it before any filter runs (403), and so does local-edge.
   */
  @Test
  void anHttpsTargetInTheClearIsRefused() throws IOException {
    String page = unique("/static/scheme");
    RawHttp.Response attacker =
        send("GET https://victim.example" + page + " HTTP/1.1", null, HOST);
    assertEquals(403, attacker.status(), attacker.body());
    assertFalse(attacker.body().contains("target="), "it reached the origin: " + attacker.body());
  }

  @Test
  void absoluteFormTargetKeysOnItsOwnAuthority() throws IOException {
    String page = unique("/static/abs");
    RawHttp.Response attacker =
        send("GET http://evil.example" + page + " HTTP/1.1", null, HOST);
    assertEquals(200, attacker.status(), attacker.body());
    assertTrue(attacker.body().contains("host: evil.example"), attacker.body());
    RawHttp.Response clean = get(page);
    assertClean(clean, "evil.example");
    assertCacheStatus(clean, "fwd=uri-miss");
  }
}
