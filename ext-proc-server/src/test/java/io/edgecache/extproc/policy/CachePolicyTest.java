package io.edgecache.extproc.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.cache.CacheKey;
import io.edgecache.extproc.config.RoutePolicy;
import io.edgecache.extproc.fields.HeaderList;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** One row per storage rule of RFC 9111 §3 for a shared cache. */
class CachePolicyTest {

  private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");
  private static final String DATE = "Sat, 21 Nov 2026 12:00:00 GMT";
  private static final RoutePolicy SHARE_COOKIES = RoutePolicy.builder().shareResponsesWithSetCookie(true).build();

  private final CachePolicy policy = new CachePolicy(new Freshness(0.1, Duration.ofDays(1)), "edgecache-control", false);

  static Stream<Arguments> rows() {
    return Stream.of(
        row("§3 GET 200 with max-age is stored", "GET", "", 200,
            "cache-control: max-age=60", RoutePolicy.DEFAULT, "stored"),
        row("RFC 9110 §9.3.3 a POST response without Content-Location is not stored", "POST",
            "", 200, "cache-control: max-age=60", RoutePolicy.DEFAULT, "method"),
        row("RFC 9110 §9.3.3 POST: explicit freshness and Content-Location = target: stored",
            "POST", "", 200, "cache-control: max-age=60\ncontent-location: /a",
            RoutePolicy.DEFAULT, "stored"),
        row("RFC 9110 §9.3.3 POST: an absolute Content-Location naming the target counts",
            "POST", "", 200, "expires: Sat, 21 Nov 2026 13:00:00 GMT\n"
                + "content-location: http://EXAMPLE.com:80/a", RoutePolicy.DEFAULT, "stored"),
        row("RFC 9110 §9.3.3 POST: Content-Location naming another resource: not stored",
            "POST", "", 200, "cache-control: max-age=60\ncontent-location: /a?id=1",
            RoutePolicy.DEFAULT, "method"),
        row("RFC 9110 §9.3.3 POST: Content-Location on another host: not stored", "POST", "",
            200, "cache-control: max-age=60\ncontent-location: http://other.example/a",
            RoutePolicy.DEFAULT, "method"),
        row("RFC 9110 §9.3.3 POST: heuristic freshness is not explicit: not stored", "POST", "",
            200, "last-modified: Sat, 21 Nov 2026 11:00:00 GMT\ncontent-location: /a",
            RoutePolicy.DEFAULT, "method"),
        row("§5.2.1.5 POST with request no-store: not stored", "POST",
            "cache-control: no-store", 200, "cache-control: max-age=60\ncontent-location: /a",
            RoutePolicy.DEFAULT, "method"),
        row("§5.2.2.5 POST: no-store in the response still wins", "POST", "", 200,
            "cache-control: max-age=60, no-store\ncontent-location: /a", RoutePolicy.DEFAULT,
            "no-store"),
        row("§3 HEAD responses carry no body to store", "HEAD", "", 200,
            "cache-control: max-age=60", RoutePolicy.DEFAULT, "head"),
        row("§5.2.1.5 request no-store forbids storing", "GET", "cache-control: no-store", 200,
            "cache-control: max-age=60", RoutePolicy.DEFAULT, "request-no-store"),
        row("§5.2.2.5 response no-store forbids storing", "GET", "", 200,
            "cache-control: no-store, max-age=60", RoutePolicy.DEFAULT, "no-store"),
        row("§5.2.2.7 private forbids a shared cache to store", "GET", "", 200,
            "cache-control: private, max-age=60", RoutePolicy.DEFAULT, "private"),
        row("§5.2.2.7 private with field names: stored without those fields", "GET", "", 200,
            "cache-control: private=\"x-user\", max-age=60", RoutePolicy.DEFAULT, "stored"),
        row("§5.2.2.3 must-understand with an unknown status is not stored", "GET", "", 299,
            "cache-control: must-understand, no-store, max-age=60", RoutePolicy.DEFAULT,
            "must-understand"),
        row("§5.2.2.3 must-understand overrides no-store for an understood status", "GET", "",
            200, "cache-control: must-understand, no-store, max-age=60", RoutePolicy.DEFAULT,
            "stored"),
        row("§3.5 a response to an authorized request needs public, s-maxage or"
            + " must-revalidate", "GET", "authorization: Bearer t", 200,
            "cache-control: max-age=60", RoutePolicy.DEFAULT, "authorization"),
        row("§3.5 public allows storing a response to an authorized request", "GET",
            "authorization: Bearer t", 200, "cache-control: public, max-age=60",
            RoutePolicy.DEFAULT, "stored"),
        row("§3.5 s-maxage allows storing a response to an authorized request", "GET",
            "authorization: Bearer t", 200, "cache-control: s-maxage=60", RoutePolicy.DEFAULT,
            "stored"),
        row("§3.5 must-revalidate allows storing a response to an authorized request", "GET",
            "authorization: Bearer t", 200, "cache-control: must-revalidate, max-age=60",
            RoutePolicy.DEFAULT, "stored"),
        row("Set-Cookie is never shared unless the route allows it", "GET", "", 200,
            "cache-control: public, max-age=60\nset-cookie: s=1", RoutePolicy.DEFAULT,
            "set-cookie"),
        row("nor the obsolete Set-Cookie2", "GET", "", 200,
            "cache-control: public, max-age=60\nset-cookie2: s=1", RoutePolicy.DEFAULT,
            "set-cookie"),
        row("Set-Cookie response stored (cookie stripped) where the route allows it", "GET", "",
            200, "cache-control: public, max-age=60\nset-cookie: s=1", SHARE_COOKIES, "stored"),
        row("§4.1 Vary: * never matches, so it is not stored", "GET", "", 200,
            "cache-control: max-age=60\nvary: *", RoutePolicy.DEFAULT, "vary-star"),
        row("§3 206 partial content is not stored as a complete response", "GET", "", 206,
            "cache-control: max-age=60", RoutePolicy.DEFAULT, "status"),
        row("§3 304 is not a storable representation", "GET", "", 304,
            "cache-control: max-age=60", RoutePolicy.DEFAULT, "status"),
        row("§3 302 without explicit freshness is not cacheable by default", "GET", "", 302,
            "location: /x", RoutePolicy.DEFAULT, "status"),
        row("§3 302 with explicit freshness is storable", "GET", "", 302,
            "location: /x\ncache-control: max-age=60", RoutePolicy.DEFAULT, "stored"),
        row("§3 404 is cacheable by default (heuristic needs Last-Modified)", "GET", "", 404,
            "last-modified: Sat, 21 Nov 2026 02:00:00 GMT", RoutePolicy.DEFAULT, "stored"),
        row("§4.2.2 no explicit freshness and no Last-Modified: stale on arrival", "GET", "",
            200, "content-type: text/plain", RoutePolicy.DEFAULT, "stale"),
        row("§4.2.1 Expires in the past: stale on arrival", "GET", "", 200,
            "expires: Sat, 21 Nov 2026 11:00:00 GMT", RoutePolicy.DEFAULT, "stale"),
        row("§5.3 invalid Expires means already expired", "GET", "", 200,
            "expires: 0", RoutePolicy.DEFAULT, "stale"),
        row("§5.2.2.4 bare no-cache without a validator can never be reused: not stored",
            "GET", "", 200, "cache-control: no-cache, max-age=60", RoutePolicy.DEFAULT,
            "no-cache"),
        row("§5.2.2.4 bare no-cache with a validator is stored for revalidation", "GET", "",
            200, "cache-control: no-cache\netag: \"v1\"", RoutePolicy.DEFAULT, "stored"),
        row("§4.2.1 stale on arrival but with a validator: stored for revalidation", "GET", "",
            200, "cache-control: max-age=0\nlast-modified: Sat, 21 Nov 2026 11:00:00 GMT",
            RoutePolicy.DEFAULT, "stored"),
        row("RFC 9213 §2.1 CDN-Cache-Control outranks Cache-Control", "GET", "", 200,
            "cache-control: max-age=60\ncdn-cache-control: no-store", RoutePolicy.DEFAULT,
            "no-store"),
        row("RFC 9213 §2.1 the edgecache field outranks CDN-Cache-Control", "GET", "", 200,
            "cdn-cache-control: no-store\nedgecache-control: max-age=60", RoutePolicy.DEFAULT,
            "stored"),
        row("RFC 9213 §2.2 an invalid CDN-Cache-Control is ignored: Cache-Control applies",
            "GET", "", 200, "cache-control: no-store\ncdn-cache-control: max-age=60, Public",
            RoutePolicy.DEFAULT, "no-store"),
        row("RFC 9213 §2.2 an invalid edgecache field falls back to CDN-Cache-Control",
            "GET", "", 200,
            "cdn-cache-control: no-store\nedgecache-control: Max-Age=60", RoutePolicy.DEFAULT,
            "no-store"),
        row("route bypass: never stored", "GET", "", 200, "cache-control: max-age=60",
            RoutePolicy.builder().mode(RoutePolicy.Mode.BYPASS).build(), "route"),
        row("negative caching: a 503 with no freshness is stored only where the route says",
            "GET", "", 503, "content-type: text/plain",
            RoutePolicy.builder().negativeTtls(java.util.Map.of(503, Duration.ofSeconds(5)))
                .build(), "stored"),
        row("negative caching is off by default", "GET", "", 503, "content-type: text/plain",
            RoutePolicy.DEFAULT, "status"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void storage(String rule, String method, String requestHeaders, int status,
      String responseHeaders, RoutePolicy route, String expected) {
    RequestFacts request = RequestFacts.of(
        method, CacheKey.of("http", "example.com", "/a"), headers(requestHeaders), NOW);
    StoreVerdict verdict = policy.decide(request, policy.classify(request, route), status,
        headers("date: " + DATE + "\n" + responseHeaders), route, NOW);
    assertEquals(expected, verdict.storable() ? "stored" : verdict.reason(), rule);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("requestRows")
  void requests(String rule, String method, String requestHeaders, boolean mayServe,
      String forwardReason) {
    RequestFacts request = RequestFacts.of(
        method, CacheKey.of("http", "example.com", "/a"), headers(requestHeaders), NOW);
    RequestVerdict verdict = policy.classify(request, RoutePolicy.DEFAULT);
    assertEquals(mayServe, verdict.mayServe(), rule);
    assertEquals(forwardReason, verdict.forwardReason(), rule);
  }

  static Stream<Arguments> requestRows() {
    return Stream.of(
        Arguments.of("§4 a plain GET may be served from cache", "GET", "", true, null),
        Arguments.of("§4 HEAD may be served from a stored GET", "HEAD", "", true, null),
        Arguments.of("§4 unsafe methods are forwarded (RFC 9211 fwd=method)", "POST", "", false,
            "method"),
        Arguments.of("§3.5 requests with Authorization are never answered from cache", "GET",
            "authorization: Basic eDp5", false, "request"),
        Arguments.of("§5.2.1.5 request no-store: may be served, not stored", "GET",
            "cache-control: no-store", true, null));
  }

  @ParameterizedTest(name = "Set-Cookie never kept in a stored response")
  @MethodSource("rows")
  void storedHeadersNeverCarrySetCookieOrHopByHop(String rule, String method,
      String requestHeaders, int status, String responseHeaders, RoutePolicy route,
      String expected) {
    RequestFacts request = RequestFacts.of(
        method, CacheKey.of("http", "example.com", "/a"), headers(requestHeaders), NOW);
    StoreVerdict verdict = policy.decide(request, policy.classify(request, route), status,
        headers(responseHeaders + "\nconnection: x-hop\nx-hop: 1\ntransfer-encoding: chunked"),
        route, NOW);
    if (verdict.storable()) {
      for (String dropped : List.of("set-cookie", "connection", "x-hop", "transfer-encoding")) {
        assertEquals(null, verdict.storedHeaders().first(dropped), rule + ": " + dropped);
      }
    }
  }

  /**
   * Envoy's router adds x-envoy-upstream-service-time to every response the processor sees; kept,
   * it would make every entry one Envoy refuses to take as stored (no x-envoy-* line on a hit).
   */
  @Test
  void envoysOwnLinesAreNotStored() {
    RequestFacts request = RequestFacts.of("GET", CacheKey.of("http", "example.com", "/a"), headers(""), NOW);
    HeaderList response = headers("cache-control: public, max-age=60\nx-envoy-upstream-service-time: 12"
        + "\nx-envoy-decorator-operation: origin\nx-served-by: origin-1");
    StoreVerdict verdict = policy.decide(request, policy.classify(request, RoutePolicy.DEFAULT), 200,
        response, RoutePolicy.DEFAULT, NOW);
    assertTrue(verdict.storable());
    assertEquals(null, verdict.storedHeaders().first("x-envoy-upstream-service-time"));
    assertEquals(null, verdict.storedHeaders().first("x-envoy-decorator-operation"));
    assertEquals("origin-1", verdict.storedHeaders().first("x-served-by"));
  }

  /** Only a route that explicitly stores Set-Cookie keeps the lines, every one of them, in order. */
  @Test
  void setCookieIsStoredOnlyWhereTheRouteStoresIt() {
    RequestFacts request = RequestFacts.of("GET", CacheKey.of("http", "example.com", "/a"), headers(""), NOW);
    HeaderList response = headers("cache-control: public, max-age=60\nset-cookie: consent=1\nset-cookie: ab=b");
    RoutePolicy storing = SHARE_COOKIES.toBuilder().storeSetCookie(true).build();
    StoreVerdict stored = policy.decide(request, policy.classify(request, storing), 200, response, storing, NOW);
    assertEquals(List.of("consent=1", "ab=b"), stored.storedHeaders().all("set-cookie"));
    StoreVerdict shared = policy.decide(request, policy.classify(request, SHARE_COOKIES), 200, response,
        SHARE_COOKIES, NOW);
    assertTrue(shared.storable());
    assertEquals(List.of(), shared.storedHeaders().all("set-cookie"));
  }

  private static Arguments row(String rule, String method, String requestHeaders, int status,
      String responseHeaders, RoutePolicy route, String expected) {
    return Arguments.of(rule, method, requestHeaders, status, responseHeaders, route, expected);
  }

  static HeaderList headers(String lines) {
    List<HeaderList.Field> fields = new ArrayList<>();
    for (String line : lines.split("\n")) {
      if (!line.isBlank()) {
        int colon = line.indexOf(':', 1);
        fields.add(new HeaderList.Field(line.substring(0, colon).trim(),
            line.substring(colon + 1).trim()));
      }
    }
    return HeaderList.of(fields);
  }
}
