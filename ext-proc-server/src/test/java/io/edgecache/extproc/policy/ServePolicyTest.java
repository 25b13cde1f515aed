package io.edgecache.extproc.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.edgecache.extproc.cache.CacheKey;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.policy.ReuseVerdict.Action;
import io.edgecache.extproc.policy.ServeDecision.Forward;
import io.edgecache.extproc.policy.ServeDecision.ForwardReason;
import io.edgecache.extproc.policy.ServeDecision.Hit;
import io.edgecache.extproc.policy.ServeDecision.HitReason;
import io.edgecache.extproc.policy.ServeDecision.Refuse;
import io.edgecache.extproc.policy.ServePolicy.Asked;
import io.edgecache.extproc.policy.ServePolicy.Collapse;
import io.edgecache.extproc.policy.ServePolicy.OnResponse;
import io.edgecache.extproc.policy.ServePolicy.Stored;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** One row per decision the exchange takes about serving; no sockets. */
class ServePolicyTest {

  // What the store holds.
  private static final Stored NOTHING = Stored.NOTHING;
  private static final Stored FRESH = new Stored(true, true, false, true, Action.SERVE);
  private static final Stored SWR =
      new Stored(true, true, false, true, Action.SERVE_STALE_AND_REFRESH);
  private static final Stored STALE = new Stored(true, true, false, true, Action.REVALIDATE);
  private static final Stored STALE_NO_VALIDATOR =
      new Stored(true, true, false, false, Action.REVALIDATE);
  private static final Stored LARGE_FRESH = new Stored(true, false, true, true, Action.SERVE);
  private static final Stored LARGE_STALE =
      new Stored(true, false, true, true, Action.REVALIDATE);
  private static final Stored BODY_GONE = new Stored(true, false, false, true, null);

  // What the request allows: mayServe, onlyIfCached, conditional, head, canRefresh.
  private static final Asked PLAIN = new Asked(true, false, false, false, true);
  private static final Asked ONLY_IF_CACHED = new Asked(true, true, false, false, true);
  private static final Asked CREDENTIALS = new Asked(false, false, false, false, true);
  private static final Asked CREDENTIALS_ONLY_IF_CACHED = new Asked(false, true, false, false,
      true);
  private static final Asked CONDITIONAL = new Asked(true, false, true, false, true);
  private static final Asked HEAD = new Asked(true, false, false, true, true);
  private static final Asked NO_REFRESHER = new Asked(true, false, false, false, false);

  static Stream<Arguments> serving() {
    return Stream.of(
        row("a miss goes to the origin", NOTHING, PLAIN,
            new Forward(ForwardReason.MISS, false)),
        row("§5.2.1.7 a miss with only-if-cached is refused", NOTHING, ONLY_IF_CACHED,
            new Refuse(ForwardReason.MISS)),
        row("a fresh entry is served", FRESH, PLAIN, new Hit(HitReason.REUSABLE)),
        row("only-if-cached with a fresh entry is served", FRESH, ONLY_IF_CACHED,
            new Hit(HitReason.REUSABLE)),
        row("RFC 5861 stale-while-revalidate serves and refreshes", SWR, PLAIN,
            new Hit(HitReason.STALE_WHILE_REVALIDATE)),
        row("stale-while-revalidate without a refresher revalidates", SWR, NO_REFRESHER,
            new Forward(ForwardReason.MUST_REVALIDATE, true)),
        row("§4.3.1 a stale entry is revalidated with its validators", STALE, PLAIN,
            new Forward(ForwardReason.MUST_REVALIDATE, true)),
        row("a stale entry without validators is fetched anew", STALE_NO_VALIDATOR, PLAIN,
            new Forward(ForwardReason.MUST_REVALIDATE, false)),
        row("a client's own preconditions go unchanged", STALE, CONDITIONAL,
            new Forward(ForwardReason.MUST_REVALIDATE, false)),
        row("a HEAD is not revalidated with the GET's validators", STALE, HEAD,
            new Forward(ForwardReason.MUST_REVALIDATE, false)),
        row("§5.2.1.7 only-if-cached with a stale entry is refused", STALE, ONLY_IF_CACHED,
            new Refuse(ForwardReason.MUST_REVALIDATE)),
        row("a large fresh entry is served (from the body endpoint)", LARGE_FRESH, PLAIN,
            new Hit(HitReason.REUSABLE)),
        row("a large stale entry is fetched anew: a 304 could not reroute", LARGE_STALE, PLAIN,
            new Forward(ForwardReason.MUST_REVALIDATE, false)),
        row("an entry whose body is gone is fetched anew", BODY_GONE, PLAIN,
            new Forward(ForwardReason.BODY_GONE, false)),
        row("only-if-cached with an entry whose body is gone is refused", BODY_GONE,
            ONLY_IF_CACHED, new Refuse(ForwardReason.BODY_GONE)),
        row("credentials send the request on even when fresh", FRESH, CREDENTIALS,
            new Forward(ForwardReason.MAY_NOT_SERVE, false)),
        row("credentials with only-if-cached still go on when something is stored", FRESH,
            CREDENTIALS_ONLY_IF_CACHED, new Forward(ForwardReason.MAY_NOT_SERVE, false)),
        row("credentials with only-if-cached and nothing stored are refused", NOTHING,
            CREDENTIALS_ONLY_IF_CACHED, new Refuse(ForwardReason.MISS)));
  }

  private static Arguments row(String rule, Stored stored, Asked asked, ServeDecision want) {
    return Arguments.of(rule, stored, asked, want);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("serving")
  void decides(String rule, Stored stored, Asked asked, ServeDecision want) {
    assertEquals(want, ServePolicy.decide(stored, asked), rule);
  }

  static Stream<Arguments> responses() {
    // status, revalidating, stored body in memory, stale-if-error allows, what follows
    return Stream.of(
        Arguments.of(304, true, true, false, OnResponse.FRESHEN),
        Arguments.of(304, false, true, false, OnResponse.PASS_ON),
        Arguments.of(503, true, true, true, OnResponse.SERVE_STALE),
        Arguments.of(500, false, true, true, OnResponse.SERVE_STALE),
        Arguments.of(503, true, true, false, OnResponse.PASS_ON),
        Arguments.of(503, true, false, true, OnResponse.PASS_ON),
        Arguments.of(404, true, true, true, OnResponse.PASS_ON),
        Arguments.of(200, true, true, true, OnResponse.PASS_ON));
  }

  @ParameterizedTest(name = "{0} revalidating={1} inMemory={2} staleIfError={3}")
  @MethodSource("responses")
  void answersFromTheStoredResponseOnlyWhereAllowed(int status, boolean revalidating,
      boolean inMemory, boolean staleIfError, OnResponse want) {
    assertEquals(want, ServePolicy.onResponse(status, revalidating, inMemory, staleIfError));
  }

  private static final RequestVerdict SHARED = new RequestVerdict(true, true, true, null, null);
  private static final RequestVerdict PRIVATE =
      new RequestVerdict(true, false, true, "request", "authorization");

  static Stream<Arguments> collapsing() {
    return Stream.of(
        Arguments.of(true, request("GET"), SHARED, Collapse.COLLAPSE),
        Arguments.of(false, request("GET"), SHARED, Collapse.OFF),
        Arguments.of(true, request("HEAD"), SHARED, Collapse.NOT_GET),
        Arguments.of(true, request("GET", "range", "bytes=0-9"), SHARED, Collapse.RANGE),
        Arguments.of(true, request("GET"), PRIVATE, Collapse.NOT_SHARED),
        Arguments.of(true, request("GET").asBackgroundRefresh(), SHARED,
            Collapse.BACKGROUND_REFRESH));
  }

  @ParameterizedTest(name = "{index}: {3}")
  @MethodSource("collapsing")
  void collapsesOnlySharedWholeGets(boolean enabled, RequestFacts request,
      RequestVerdict verdict, Collapse want) {
    assertEquals(want, ServePolicy.collapse(enabled, request, verdict));
  }

  @Test
  void bodiesBeyondTheObjectLimitAreTooLargeAndTheRestAreRecordedInMemoryUpToTheirLimit() {
    assertEquals(true, ServePolicy.tooLarge(101, 100));
    assertEquals(false, ServePolicy.tooLarge(100, 100));
    assertEquals(false, ServePolicy.tooLarge(-1, 100)); // no Content-Length: judged by bytes
    assertEquals(10, ServePolicy.memoryLimit(true, 10, 100)); // then spooled
    assertEquals(100, ServePolicy.memoryLimit(true, 1000, 100));
    assertEquals(100, ServePolicy.memoryLimit(false, 10, 100)); // never spooled
  }

  private static RequestFacts request(String method, String... nameValues) {
    List<HeaderList.Field> fields = new ArrayList<>();
    for (int i = 0; i < nameValues.length; i += 2) {
      fields.add(new HeaderList.Field(nameValues[i], nameValues[i + 1]));
    }
    return RequestFacts.of(method, CacheKey.of("http", "example.test", "/a"),
        HeaderList.of(fields), Instant.parse("2026-11-21T12:00:00Z"));
  }
}
