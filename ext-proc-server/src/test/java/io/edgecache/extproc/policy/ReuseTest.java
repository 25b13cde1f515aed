package io.edgecache.extproc.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import io.edgecache.extproc.cache.CacheKey;
import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.config.RoutePolicy;
import io.edgecache.extproc.fields.HeaderList;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What a request may do with a stored response: RFC 9111 §4.2 and §5.2.1 request directives,
 * §5.2.2 response directives, RFC 5861 stale extensions, RFC 8246 immutable. One row per rule.
 */
class ReuseTest {

  private static final Instant STORED = Instant.parse("2026-11-21T12:00:00Z");
  private final CachePolicy policy =
      new CachePolicy(new Freshness(0.1, Duration.ofDays(1)), "edgecache-control", false);

  static Stream<Arguments> rows() {
    return Stream.of(
        row("§4.2 fresh: served", "max-age=60", 10, "", "SERVE", null),
        row("§4.2 stale: revalidated", "max-age=60", 70, "", "REVALIDATE", "stale"),
        row("§5.2.1.4 request no-cache: revalidated even when fresh", "max-age=60", 10,
            "cache-control: no-cache", "REVALIDATE", "request"),
        row("§5.4 Pragma: no-cache without Cache-Control: revalidated", "max-age=60", 10,
            "pragma: no-cache", "REVALIDATE", "request"),
        row("§5.4 Pragma ignored when Cache-Control is present", "max-age=60", 10,
            "pragma: no-cache\ncache-control: max-stale", "SERVE", null),
        row("§5.2.1.1 request max-age below the age: revalidated", "max-age=60", 30,
            "cache-control: max-age=20", "REVALIDATE", "request"),
        row("§5.2.1.1 request max-age above the age: served", "max-age=60", 30,
            "cache-control: max-age=40", "SERVE", null),
        row("§5.2.1.3 min-fresh more than the ttl left: revalidated", "max-age=60", 50,
            "cache-control: min-fresh=20", "REVALIDATE", "request"),
        row("§5.2.1.2 max-stale covers the staleness: served stale", "max-age=60", 70,
            "cache-control: max-stale=15", "SERVE", null),
        row("§5.2.1.2 max-stale without a value accepts any staleness", "max-age=60", 5000,
            "cache-control: max-stale", "SERVE", null),
        row("§5.2.1.2 max-stale too small: revalidated", "max-age=60", 90,
            "cache-control: max-stale=15", "REVALIDATE", "stale"),
        row("§5.2.2.2 must-revalidate: no stale, even with max-stale",
            "max-age=60, must-revalidate", 70, "cache-control: max-stale", "REVALIDATE",
            "stale"),
        row("§5.2.2.8 proxy-revalidate binds a shared cache", "max-age=60, proxy-revalidate",
            70, "cache-control: max-stale", "REVALIDATE", "stale"),
        row("§5.2.2.10 s-maxage implies proxy-revalidate", "s-maxage=60", 70,
            "cache-control: max-stale", "REVALIDATE", "stale"),
        row("§5.2.2.4 bare no-cache: every reuse revalidated", "no-cache", 0, "",
            "REVALIDATE", "stale"),
        row("RFC 5861 §3 within stale-while-revalidate: served stale, refreshed",
            "max-age=60, stale-while-revalidate=30", 80, "", "SERVE_STALE_AND_REFRESH",
            "stale"),
        row("RFC 5861 §3 past stale-while-revalidate: revalidated",
            "max-age=60, stale-while-revalidate=30", 100, "", "REVALIDATE", "stale"),
        row("RFC 8246 immutable and fresh: a reload is served from cache",
            "max-age=60, immutable", 10, "cache-control: no-cache", "SERVE", null),
        row("RFC 8246 immutable but stale: revalidated", "max-age=60, immutable", 70,
            "cache-control: no-cache", "REVALIDATE", "request"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void reuse(String rule, String responseCacheControl, long ageSeconds, String requestHeaders,
      String action, String forwardReason) {
    CachedResponse entry = stored(responseCacheControl);
    RequestFacts request = RequestFacts.of("GET", CacheKey.of("http", "example.com", "/a"),
        CachePolicyTest.headers(requestHeaders), STORED.plusSeconds(ageSeconds));
    ReuseVerdict verdict = policy.reuse(request, entry, STORED.plusSeconds(ageSeconds));
    assertEquals(action, verdict.action().name(), rule);
    assertEquals(forwardReason, verdict.forwardReason(), rule);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("errorRows")
  void staleIfError(String rule, String responseCacheControl, RoutePolicy route, long age,
      boolean served) {
    CachedResponse entry = stored(responseCacheControl, route);
    assertEquals(served, policy.mayServeOnError(entry, STORED.plusSeconds(age)), rule);
  }

  static Stream<Arguments> errorRows() {
    return Stream.of(
        Arguments.of("RFC 5861 §4 within stale-if-error: stale served on error",
            "max-age=60, stale-if-error=60", RoutePolicy.DEFAULT, 100, true),
        Arguments.of("RFC 5861 §4 past stale-if-error: the error goes through",
            "max-age=60, stale-if-error=60", RoutePolicy.DEFAULT, 130, false),
        Arguments.of("RFC 5861 §4 must-revalidate forbids stale-if-error",
            "max-age=60, stale-if-error=60, must-revalidate", RoutePolicy.DEFAULT, 70, false),
        Arguments.of("route grace: stale-if-error default for origins that send none",
            "max-age=60", RoutePolicy.builder().staleIfError(Duration.ofMinutes(5)).build(),
            200, true),
        Arguments.of("no grace by default", "max-age=60", RoutePolicy.DEFAULT, 61, false));
  }

  private CachedResponse stored(String cacheControl) {
    return stored(cacheControl, RoutePolicy.DEFAULT);
  }

  private CachedResponse stored(String cacheControl, RoutePolicy route) {
    HeaderList headers = CachePolicyTest.headers(
        "cache-control: " + cacheControl + "\netag: \"v1\"");
    RequestFacts request = RequestFacts.of("GET", CacheKey.of("http", "example.com", "/a"),
        HeaderList.of(java.util.List.of()), STORED);
    StoreVerdict verdict = policy.decide(request, policy.classify(request, route), 200,
        headers, route, STORED);
    return new CachedResponse(200, verdict.storedHeaders(), ByteString.EMPTY, STORED,
        Duration.ZERO, verdict.freshnessLifetime(), Map.of(), verdict.rules());
  }

  private static Arguments row(String rule, String responseCacheControl, long age,
      String requestHeaders, String action, String forwardReason) {
    return Arguments.of(rule, responseCacheControl, age, requestHeaders, action, forwardReason);
  }
}
