package io.edgecache.extproc.grpc;

import com.google.protobuf.ByteString;
import io.edgecache.extproc.CacheNode;
import io.edgecache.extproc.cache.CacheKey;
import io.edgecache.extproc.cache.CacheKeys;
import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.cache.L1Store;
import io.edgecache.extproc.cache.PartialStore;
import io.edgecache.extproc.coalesce.ClusterCoalescer;
import io.edgecache.extproc.coalesce.Coalescer;
import io.edgecache.extproc.config.RoutePolicy;
import io.edgecache.extproc.http.AcceptEncoding;
import io.edgecache.extproc.http.ByteRanges;
import io.edgecache.extproc.http.HeaderList;
import io.edgecache.extproc.policy.CacheStatus;
import io.edgecache.extproc.policy.Freshening;
import io.edgecache.extproc.policy.LanguageVariants;
import io.edgecache.extproc.policy.RequestFacts;
import io.edgecache.extproc.policy.RequestVerdict;
import io.edgecache.extproc.policy.ReuseVerdict;
import io.edgecache.extproc.policy.StoreVerdict;
import io.edgecache.extproc.policy.VaryKey;
import io.edgecache.extproc.policy.remote.RemotePolicy;
import io.edgecache.extproc.purge.EdgePurges;
import io.edgecache.extproc.refresh.BackgroundRefresher;
import io.edgecache.extproc.store.http.BodyTokens;
import io.edgecache.extproc.telemetry.ExchangeTrace;
import io.edgecache.extproc.telemetry.Outcome;
import io.edgecache.http.PathNormalizer;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.api.trace.Span;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One HTTP request's ext_proc stream. At {@code request_headers} it answers from a usable stored
 * response, waits for another request's fetch of the same key, or lets the request go on (with
 * validators when it holds a stale entry); at {@code response_headers} it freshens on 304, serves
 * stale on errors where allowed, and decides whether the response is stored, turning body
 * messages off when it is not; body chunks are answered one by one and the entry is committed
 * at {@code end_of_stream}.
 *
 * <p>gRPC delivers a stream's messages serially; the methods are synchronized only because a
 * collapsed request is resumed from the thread that completes the leader's fetch.
 */
final class CacheExchange implements StreamObserver<ProcessingRequest> {

  private static final Logger log = Logger.getLogger(CacheExchange.class.getName());

  /** Request field asking a PURGE to mark stale rather than remove ("1"). */
  private static final String SOFT_PURGE = "edgecache-soft-purge";
  /** Cache-Status detail of a hit served while the purge stream is down, within the grace. */
  static final String PURGE_STREAM_DOWN = "purge-stream-down";

  /** Body bytes a disk spool may hold in memory while the disk catches up. */
  private static final long MAX_SPOOL_PENDING_BYTES = 32L << 20;

  /** Margin between a follower's own wait and the Envoy timer it asks for. */
  private static final Duration TIMER_MARGIN = Duration.ofMillis(500);

  private enum Phase {
    AWAIT_REQUEST_HEADERS,
    /** Memory missed; waiting for the tiers below. */
    LOOKING_DOWN,
    /** Collapsed behind another request's fetch of the same key. */
    WAITING_FOR_LEADER,
    /** An HTTP PURGE submitted to the control plane, awaiting its verdict. */
    PURGING,
    AWAIT_RESPONSE_HEADERS,
    RESPONSE_BODY,
    /** Nothing left to decide; late body or trailer messages are still answered. */
    DONE,
    /** The stream was failed or reset: nothing more is sent. */
    CLOSED
  }

  private final CacheNode node;
  private final StreamObserver<ProcessingResponse> out;

  private Phase phase = Phase.AWAIT_REQUEST_HEADERS;
  private RequestFacts request;
  private RequestVerdict requestVerdict;
  private RoutePolicy route;
  /** The normalised request target (query as sent) that unkeyed query parameters leave. */
  private String target;
  /** Cache-Status {@code fwd} value and detail for a request that goes to the origin. */
  private String forwardReason;
  private String detail;
  /** The stored response in play when the request goes forward: stale, or being revalidated. */
  private CachedResponse selected;
  /** Whether this exchange added validators of {@link #selected} to the request. */
  private boolean revalidating;
  /** The flight this exchange leads; it must land whatever happens. */
  private Coalescer.Flight leading;
  /** The cluster lease this exchange holds for its key; it must end whatever happens. */
  private ClusterCoalescer.Lease clusterLease;

  // What is reported when the stream ends: one outcome per request.
  private ExchangeTrace trace = ExchangeTrace.NONE;
  private Outcome outcome;
  private boolean counted;
  private long bodyBytes;
  private int finalStatus;
  private Long finalTtl;

  // Set while a response body is being recorded.
  private BodyRecorder recorder;
  private int responseStatus;
  private StoreVerdict storeVerdict;
  private HeaderList responseHeaders;
  /** The part a 206 being recorded holds (RFC 9111 §3.3), or null for a complete response. */
  private ByteRanges.Part recordingPart;
  /** The response's Content-Length, or -1 when it has none (chunked, or unusable). */
  private long declaredBodyLength;
  private Instant responseTime;

  /** The policy the control plane pushed for this request's route, or null. */
  private final RemotePolicy pushedPolicy;

  CacheExchange(CacheNode node, StreamObserver<ProcessingResponse> out,
      RemotePolicy pushedPolicy) {
    this.node = node;
    this.out = out;
    this.pushedPolicy = pushedPolicy;
  }

  @Override
  public synchronized void onNext(ProcessingRequest message) {
    if (phase == Phase.CLOSED) {
      return;
    }
    long started = System.nanoTime();
    try {
      switch (message.getRequestCase()) {
        case REQUEST_HEADERS -> onRequestHeaders(message.getRequestHeaders());
        case RESPONSE_HEADERS -> onResponseHeaders(message.getResponseHeaders());
        case RESPONSE_BODY -> onResponseBody(message.getResponseBody());
        case REQUEST_BODY -> out.onNext(ExchangeMessages.continueRequestBody());
        case REQUEST_TRAILERS -> out.onNext(ExchangeMessages.continueRequestTrailers());
        case RESPONSE_TRAILERS -> out.onNext(ExchangeMessages.continueResponseTrailers());
        case REQUEST_NOT_SET -> throw new MalformedMessageException(
            "ProcessingRequest carries none of request_headers, response_headers, request_body,"
                + " response_body, request_trailers, response_trailers");
      }
    } catch (MalformedMessageException e) {
      end();
      out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
    }
    node.metrics().message(messageType(message), System.nanoTime() - started);
  }

  private static String messageType(ProcessingRequest message) {
    return switch (message.getRequestCase()) {
      case REQUEST_HEADERS -> "request_headers";
      case RESPONSE_HEADERS -> "response_headers";
      case RESPONSE_BODY -> "response_body";
      default -> "other";
    };
  }

  @Override
  public synchronized void onError(Throwable t) {
    // Envoy reset the stream (client gone, timeout): whatever was being recorded is incomplete.
    end();
  }

  @Override
  public synchronized void onCompleted() {
    end();
    out.onCompleted();
  }

  private void end() {
    if (phase == Phase.CLOSED) {
      return;
    }
    if (phase == Phase.WAITING_FOR_LEADER) {
      node.coalescer().waiting(-1);
    }
    boolean finished = phase == Phase.DONE;
    phase = Phase.CLOSED;
    if (recorder != null) {
      recorder.drop();
      recorder = null;
    }
    land(null, false);
    count();
    if (finished) {
      trace.end(outcome, finalStatus, finalTtl);
    } else {
      trace.abandon();
    }
  }

  /**
   * Notes how the request ends. {@code last} when nothing can change it any more: it is
   * counted at once, so figures are current before the client has the response.
   */
  private void settle(Outcome how, int status, long bytes, Long ttlSeconds, boolean last) {
    outcome = how;
    finalStatus = status;
    bodyBytes = bytes;
    finalTtl = ttlSeconds;
    if (last) {
      count();
    }
  }

  private void count() {
    if (outcome != null && !counted) {
      counted = true;
      node.metrics().request(outcome, bodyBytes);
    }
  }

  private void onRequestHeaders(HttpHeaders message) throws MalformedMessageException {
    if (phase != Phase.AWAIT_REQUEST_HEADERS) {
      throw new MalformedMessageException("request_headers: received twice on one stream");
    }
    HeaderList headers = HeaderList.fromEnvoy(message.getHeaders());
    RequestLine line = RequestLine.from(headers);
    RequestScreen screen = RequestScreen.of(line, headers, message.getEndOfStream(),
        new PathNormalizer(node.config().escapedSlashes()));
    if (screen.rejection() != null) {
      rejectRequest(screen.rejection());
      return;
    }
    route = node.config().routeFor(line.authority(), screen.pathOnly());
    if (pushedPolicy != null) {
      route = pushedPolicy.applyTo(route);
    }
    CacheKey key = CacheKeys.forTarget(
        line.scheme(), line.authority(), screen.path(), route, headers);
    Instant now = node.clock().instant();
    request = RequestFacts.of(line.method(), key, headers, now);
    trace = node.telemetry().startExchange(
        headers, line.method(), line.scheme(), line.authority(), line.path(), key);

    if (line.method().equals("PURGE") && route.purgeRequests() && node.edgePurges() != null) {
      purgeAtEdge(line, headers);
      return;
    }

    HeaderMutation.Builder mutation = HeaderMutation.newBuilder();
    String marker = headers.first(BackgroundRefresher.MARKER);
    if (marker != null) {
      mutation.addRemoveHeaders(BackgroundRefresher.MARKER); // never reaches the origin
      if (node.refresher() != null && node.refresher().isOurs(marker)) {
        request = request.asBackgroundRefresh();
      }
    }
    requestVerdict = screen.bypass() != null
        ? new RequestVerdict(false, false, false, "bypass", screen.bypass())
        : node.policy().classify(request, route);
    target = screen.path();
    forwardReason = requestVerdict.forwardReason();
    detail = requestVerdict.detail();
    phase = Phase.AWAIT_RESPONSE_HEADERS;
    if (!requestVerdict.lookup()) {
      if (requestVerdict.mayStore()) {
        UnkeyedInputs.remove(route, target, request.headers(), mutation);
      }
      out.onNext(ExchangeMessages.continueRequestHeaders(mutation.build()));
      return;
    }
    if (!node.servesHits()) {
      // Purges may be missing (replay not over): nothing is answered from the cache.
      forwardReason = forwardReason == null ? "uri-miss" : forwardReason;
      detail = "purge-replay";
      forward(mutation);
      return;
    }

    Span lookupSpan = trace.lookup("l1");
    L1Store.Lookup lookup = node.store().lookup(key, this::matchesVary);
    CachedResponse entry = lookup.entry() != null || !lookup.keyKnown() ? lookup.entry()
        : preferredLanguage(node.store().variants(key));
    trace.endLookup(lookupSpan, entry != null);
    if (entry == null && !lookup.keyKnown() && node.tiers().hasLowerTiers()) {
      phase = Phase.LOOKING_DOWN;
      Span below = trace.lookup("lower");
      node.lookupBelow(key).copy()
          .completeOnTimeout(null, node.config().tiers().lookupWait().toMillis(),
              TimeUnit.MILLISECONDS)
          .whenComplete((found, error) -> {
            trace.endLookup(below, found != null);
            onLowerTiersAnswered(found, mutation);
          });
      return;
    }
    decide(entry, lookup.keyKnown(), mutation);
  }

  /** A request target no key may be built from: 400, before anything else happens. */
  private void rejectRequest(String why) {
    phase = Phase.DONE;
    ByteString body = ByteString.copyFromUtf8("Bad Request: " + why + "\n");
    settle(Outcome.LOCAL, 400, body.size(), null, true);
    out.onNext(ExchangeMessages.immediate(400,
        HeaderList.of(List.of(new HeaderList.Field("content-type", "text/plain"))), body,
        "edgecache_invalid_request_target"));
  }

  /** An HTTP PURGE on a route that takes them: the control plane's verdict is the answer. */
  private void purgeAtEdge(RequestLine line, HeaderList headers) {
    String authorization = headers.first("authorization");
    if (authorization == null || authorization.isBlank()) {
      // Answered here: a PURGE without credentials never costs the control plane a call.
      phase = Phase.DONE;
      ByteString body = ByteString.copyFromUtf8(
          "{\"error\":\"missing Authorization: Bearer <token>\"}");
      settle(Outcome.LOCAL, 401, body.size(), null, true);
      out.onNext(ExchangeMessages.immediate(401, HeaderList.of(List.of(
              new HeaderList.Field("content-type", "application/json"),
              new HeaderList.Field("www-authenticate", "Bearer"))), body,
          "edgecache_purge_unauthenticated"));
      return;
    }
    phase = Phase.PURGING;
    out.onNext(ExchangeMessages.extendTimer(EdgePurges.DEADLINE.plus(TIMER_MARGIN)));
    node.edgePurges().purge(line.scheme() + "://" + line.authority() + line.path(),
            "1".equals(headers.first(SOFT_PURGE)), authorization)
        .thenAccept(this::onPurgeAnswered);
  }

  private synchronized void onPurgeAnswered(EdgePurges.Answer answer) {
    if (phase != Phase.PURGING) {
      return; // the stream ended meanwhile
    }
    phase = Phase.DONE;
    ByteString body = ByteString.copyFromUtf8(answer.json());
    settle(Outcome.LOCAL, answer.status(), body.size(), null, true);
    out.onNext(ExchangeMessages.immediate(answer.status(),
        HeaderList.of(List.of(new HeaderList.Field("content-type", "application/json"))), body,
        "edgecache_purge"));
  }

  /**
   * Whether {@code entry} may answer this request: its Vary values match and its content
   * coding is one the request accepts (Accept-Encoding normalisation folds requests that
   * accept different codings into one variant).
   */
  private boolean matchesVary(CachedResponse entry) {
    return VaryKey.matches(entry.varyValues(), request.headers(), route.normalizeHeaders())
        && AcceptEncoding.accepts(request.headers().joined("accept-encoding"),
            entry.headers().joined("content-encoding"));
  }

  /** A variant in the request's most preferred language when none matched exactly, or null. */
  private CachedResponse preferredLanguage(List<CachedResponse> variants) {
    return LanguageVariants.preferred(variants, request.headers(), route.normalizeHeaders());
  }

  private synchronized void onLowerTiersAnswered(CachedResponse found,
      HeaderMutation.Builder mutation) {
    if (phase != Phase.LOOKING_DOWN) {
      return; // the stream ended meanwhile
    }
    phase = Phase.AWAIT_RESPONSE_HEADERS;
    boolean matches = found != null
        && (matchesVary(found) || preferredLanguage(List.of(found)) != null);
    decide(matches ? found : null, found != null, mutation);
  }

  /** Serves, refreshes or forwards the request given what the store holds for it. */
  private void decide(CachedResponse entry, boolean keyKnown, HeaderMutation.Builder mutation) {
    Instant now = request.requestTime();
    if (entry != null && !entry.bodyInMemory() && !node.tiers().mayStreamBody(request.key())) {
      node.store().remove(request.key(), entry); // its body is gone: fetch it anew
      entry = null;
    }
    if (entry == null) {
      if (servePartial(now)) {
        return;
      }
      if (forwardReason == null) {
        forwardReason = keyKnown ? "vary-miss" : "uri-miss";
      }
      if (onlyIfCached()) {
        return;
      }
      forward(mutation);
      return;
    }
    if (!requestVerdict.mayServe()) {
      forward(mutation); // e.g. Authorization: the origin must see the credentials
      return;
    }
    ReuseVerdict reuse = node.policy().reuse(request, entry, now);
    BackgroundRefresher refresher = node.refresher();
    if (reuse.action() == ReuseVerdict.Action.SERVE
        || (reuse.action() == ReuseVerdict.Action.SERVE_STALE_AND_REFRESH && refresher != null)) {
      boolean stale = !entry.isFresh(now);
      if (reuse.action() == ReuseVerdict.Action.SERVE_STALE_AND_REFRESH) {
        startRefresh(refresher, entry.varyValues().keySet());
      }
      serve(entry, CacheStatus.hit().ttl(entry.ttlSeconds(now)).detail(hitDetail(reuse.detail())),
          stale ? Outcome.STALE : Outcome.HIT, now);
      return;
    }
    forwardReason = forwardReason == null ? reuse.forwardReason() : forwardReason;
    detail = detail == null ? reuse.detail() : detail;
    if (onlyIfCached()) {
      return;
    }
    selected = entry;
    // A 304 is answered from the stored body at response time, too late to reroute to the
    // body endpoint: a large entry is fetched anew instead.
    if (entry.hasValidator() && entry.bodyInMemory() && !request.isConditional()
        && !request.isHead()) {
      revalidating = true;
      String etag = entry.headers().first("etag");
      String lastModified = entry.headers().first("last-modified");
      if (etag != null) {
        mutation.addSetHeaders(ExchangeMessages.replace("if-none-match", etag));
      }
      if (lastModified != null) {
        mutation.addSetHeaders(ExchangeMessages.replace("if-modified-since", lastModified));
      }
    }
    forward(mutation);
  }

  /**
   * A hit's detail, marked {@code purge-stream-down} while the node serves on grace (a purge
   * accepted meanwhile may not have reached it yet); RFC 8941 tokens may hold '+'.
   */
  private String hitDetail(String reuseDetail) {
    if (!node.hitGate().inGrace()) {
      return reuseDetail;
    }
    return reuseDetail == null ? PURGE_STREAM_DOWN : reuseDetail + "+" + PURGE_STREAM_DOWN;
  }

  /**
   * Fetches the request's target in the background, traced as a child of this exchange;
   * {@code varyFields} are the fields the response to store varies on, sent with the route's
   * key fields so the right variant fills.
   */
  private void startRefresh(BackgroundRefresher refresher, Collection<String> varyFields) {
    Span span = trace.child("edgecache.refresh");
    Map<String, String> context = new HashMap<>();
    trace.injectFrom(span, context::put);
    Set<String> selecting = new HashSet<>(varyFields);
    selecting.addAll(route.keyHeaders());
    if (!refresher.refresh(request.key().uri(), request.headers(), selecting, context,
        span::end)) {
      span.end(); // one is already running for this key
    }
  }

  /**
   * Answers a single-range GET from a stored incomplete response that holds the whole range
   * and may be served (RFC 9111 §3.3); false when it cannot.
   */
  private boolean servePartial(Instant now) {
    String range = request.headers().first("range");
    if (range == null || !request.method().equals("GET") || !requestVerdict.mayServe()
        || request.isConditional()) {
      return false;
    }
    PartialStore.Partial partial = node.store().partials().find(request.key(), this::matchesVary);
    if (partial == null) {
      return false;
    }
    CachedResponse head = partial.head();
    List<ByteRanges.Range> ranges = ByteRanges.parse(range, head.bodyLength());
    if (ranges == null || ranges.size() != 1
        || node.policy().reuse(request, head, now).action() != ReuseVerdict.Action.SERVE) {
      return false;
    }
    ByteRanges.Range wanted = ranges.get(0);
    ByteString part = partial.slice(wanted.first(), wanted.last());
    if (part == null) {
      return false;
    }
    phase = Phase.DONE;
    settle(Outcome.HIT, 206, part.size(), head.ttlSeconds(now), true);
    out.onNext(StoredResponses.partialContent(head, wanted, part, now,
        CacheStatus.hit().ttl(head.ttlSeconds(now)).detail("partial")));
    return true;
  }

  /** Answers 504 when the client asked only-if-cached (RFC 9111 §5.2.1.7); true if it did. */
  private boolean onlyIfCached() {
    if (!request.cacheControl().has("only-if-cached")) {
      return false;
    }
    settle(Outcome.LOCAL, 504, 0, null, true);
    phase = Phase.DONE;
    out.onNext(StoredResponses.gatewayTimeout(
        CacheStatus.forwarded(forwardReason).detail("only-if-cached")));
    return true;
  }

  /**
   * Sends the request on to the origin, first joining the key's flight when collapsing applies:
   * a leader goes on, a follower waits (asking Envoy to extend its timer) for the leader.
   */
  private void forward(HeaderMutation.Builder mutation) {
    // Only a request that goes on needs them: a hit never reaches the origin.
    UnkeyedInputs.remove(route, target, request.headers(), mutation);
    // The origin continues the trace from this exchange's span.
    trace.inject((name, value) -> mutation.addSetHeaders(ExchangeMessages.replace(name, value)));
    if (collapsible()) {
      Coalescer.Role role = node.coalescer().join(request.key().uri());
      if (role == null) {
        detail = detail == null ? "hit-for-pass" : detail;
      } else if (role.leader()) {
        leading = role.flight();
        if (node.cluster() != null) {
          claimClusterLead(mutation.build());
          return;
        }
      } else {
        awaitLeader(role.flight(), mutation.build());
        return;
      }
    }
    out.onNext(ExchangeMessages.continueRequestHeaders(mutation.build()));
  }

  private boolean collapsible() {
    return node.config().collapsing().enabled()
        && request.method().equals("GET")
        && !request.headers().contains("range") // a partial answer serves no follower
        && requestVerdict.mayServe()
        && requestVerdict.mayStore()
        && !request.backgroundRefresh();
  }

  private void awaitLeader(Coalescer.Flight flight, HeaderMutation pending) {
    phase = Phase.WAITING_FOR_LEADER;
    node.coalescer().waiting(1);
    Duration maxWait = node.config().collapsing().maxWait();
    out.onNext(ExchangeMessages.extendTimer(maxWait.plus(TIMER_MARGIN)));
    Span wait = trace.child("edgecache.collapse.wait");
    flight.landed().copy()
        .orTimeout(maxWait.toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete((entry, error) -> {
          wait.end();
          onLeaderLanded(entry, error != null, pending);
        });
  }

  /**
   * As this node's leader, asks the other nodes whether one of them already fetches the key:
   * if so this exchange (and its local followers with it) waits for that node's fill.
   */
  private void claimClusterLead(HeaderMutation pending) {
    phase = Phase.WAITING_FOR_LEADER;
    node.coalescer().waiting(1);
    Duration maxWait = node.config().collapsing().maxWait();
    Span wait = trace.child("edgecache.collapse.cluster");
    node.cluster().claim(request.key(), maxWait, () -> extendTimerWhileWaiting(maxWait))
        .whenComplete((turn, error) -> {
          wait.end();
          onClusterTurn(turn, pending);
        });
  }

  private synchronized void extendTimerWhileWaiting(Duration maxWait) {
    if (phase == Phase.WAITING_FOR_LEADER) {
      out.onNext(ExchangeMessages.extendTimer(maxWait.plus(TIMER_MARGIN)));
    }
  }

  private synchronized void onClusterTurn(ClusterCoalescer.Turn turn, HeaderMutation pending) {
    if (phase != Phase.WAITING_FOR_LEADER) {
      if (turn.lease() != null) {
        turn.lease().abandoned(); // the stream ended while claiming
      }
      return;
    }
    switch (turn.outcome()) {
      case LEAD, ALONE -> {
        clusterLease = turn.lease();
        node.coalescer().waiting(-1);
        phase = Phase.AWAIT_RESPONSE_HEADERS;
        out.onNext(ExchangeMessages.continueRequestHeaders(pending));
      }
      case FILLED -> {
        onLeaderLanded(turn.entry(), false, pending);
        if (phase == Phase.DONE) {
          land(turn.entry(), false); // served: local followers are served the same entry
        }
      }
      case PASS -> {
        land(null, true);
        onLeaderLanded(null, false, pending);
      }
      case TIMED_OUT -> onLeaderLanded(null, true, pending);
    }
  }

  private synchronized void onLeaderLanded(
      CachedResponse entry, boolean timedOut, HeaderMutation pending) {
    if (phase != Phase.WAITING_FOR_LEADER) {
      return; // the stream ended while waiting
    }
    node.coalescer().waiting(-1);
    if (timedOut) {
      node.metrics().collapseTimeout();
    }
    phase = Phase.AWAIT_RESPONSE_HEADERS;
    Instant now = node.clock().instant();
    if (entry != null
        && matchesVary(entry)
        && node.policy().reuse(request, entry, now).action() == ReuseVerdict.Action.SERVE) {
      serve(entry, CacheStatus.forwarded(forwardReason).fwdStatus(entry.status()).collapsed()
          .ttl(entry.ttlSeconds(now)), Outcome.COLLAPSED, now);
      return;
    }
    detail = timedOut ? "collapse-timeout" : "collapse-released";
    out.onNext(ExchangeMessages.continueRequestHeaders(pending));
  }

  /**
   * Answers from {@code entry} as of {@code now}: the instant the caller judged it at, so the
   * Age sent and the Cache-Status ttl always add up to its freshness lifetime.
   */
  private void serve(CachedResponse entry, CacheStatus status, Outcome how, Instant now) {
    phase = Phase.DONE;
    if (entry.bodyInMemory()) {
      ProcessingResponse answer = StoredResponses.answer(entry, request, now, status);
      // The bytes actually sent: a range, a 304 or a HEAD carries less than the stored body.
      settle(how, entry.status(), answer.getImmediateResponse().getBody().size(),
          entry.ttlSeconds(now), true);
      out.onNext(answer);
      return;
    }
    settle(how, entry.status(), request.isHead() ? 0 : entry.bodyLength(),
        entry.ttlSeconds(now), true);
    out.onNext(StoredResponses.answerWithoutBody(entry, request, now, status)
        .orElseGet(() -> ExchangeMessages.rerouteRequest(ExchangeMessages.replace(
            BodyTokens.HEADER, node.bodyTokens().issue(request.key().uri(),
                BodyTokens.version(entry.responseTime(), entry.bodyLength()),
                status.appendTo(entry.headers().joined(CacheStatus.FIELD)))))));
  }

  private void onResponseHeaders(HttpHeaders message) throws MalformedMessageException {
    if (phase != Phase.AWAIT_RESPONSE_HEADERS) {
      throw new MalformedMessageException(
          phase == Phase.AWAIT_REQUEST_HEADERS
              ? "response_headers: arrived before request_headers"
              : "response_headers: received in the wrong phase (" + phase + ")");
    }
    HeaderList headers = HeaderList.fromEnvoy(message.getHeaders());
    int status = parseStatus(headers.first(":status"));
    responseTime = node.clock().instant();
    if (!request.isGetOrHead() && status >= 200 && status < 400) {
      StoreUpdates.invalidateAfterUnsafeMethod(node, request, headers);
    }
    if (selected != null) {
      if (status == 304 && revalidating) {
        answerFromRevalidated(headers);
        return;
      }
      if (status >= 500 && selected.bodyInMemory()
          && node.policy().mayServeOnError(selected, responseTime)) {
        land(null, false);
        serve(selected, CacheStatus.hit().alsoForwarded(forwardReason).fwdStatus(status)
            .ttl(selected.ttlSeconds(responseTime)).detail("stale-if-error"), Outcome.STALE,
            responseTime);
        return;
      }
    }
    if (status == 206) {
      fillAfterPartial(headers);
    }
    if (request.isHead() && status == 200) {
      StoreUpdates.freshenFromHead(node, request, requestVerdict, route, this::matchesVary,
          headers, responseTime);
    }
    recordingPart = status == 206 ? storablePart(headers) : null;
    storeVerdict = recordingPart != null
        // judged as the complete response it is part of would be
        ? node.policy().decide(request, requestVerdict, 200,
            headers.without(field -> field.name().equals("content-range")), route, responseTime)
        : node.policy().decide(request, requestVerdict, status, headers, route, responseTime);

    CacheStatus cacheStatus = CacheStatus.forwarded(forwardReason).fwdStatus(status);
    BodySendMode bodyMode = BodySendMode.NONE;
    declaredBodyLength = declaredLength(headers);
    // A pass until the body is committed; counted when the stream ends if it never is.
    settle(Outcome.PASS, status, Math.max(0, declaredBodyLength), null,
        !storeVerdict.storable());
    if (storeVerdict.storable()) {
      long maxBytes = node.config().maxObjectBytes(route);
      if (declaredBodyLength > maxBytes) {
        cacheStatus.detail("too-large");
        land(null, true);
      } else {
        Duration initialAge = storeVerdict.correctedInitialAge();
        cacheStatus.stored()
            .ttl(storeVerdict.freshnessLifetime().getSeconds() - initialAge.getSeconds())
            .detail(detail);
        responseStatus = status;
        responseHeaders = headers;
        recorder = new BodyRecorder(maxBytes, node.tiers().streamsLargeBodies()
            ? node.tiers().largeObjectBytes() : maxBytes,
            () -> node.tiers().spool(MAX_SPOOL_PENDING_BYTES));
        if (message.getEndOfStream()) {
          commit();
        } else {
          bodyMode = BodySendMode.STREAMED;
          phase = Phase.RESPONSE_BODY;
        }
      }
    } else {
      cacheStatus.detail(storeVerdict.reason() != null ? storeVerdict.reason() : detail);
      land(null, storeVerdict.reason() != null && status < 500);
    }
    if (phase == Phase.AWAIT_RESPONSE_HEADERS) {
      phase = Phase.DONE;
    }
    out.onNext(ExchangeMessages.continueResponseHeaders(
        responseMutation(cacheStatus.appendTo(headers.joined(CacheStatus.FIELD))), bodyMode));
  }

  /**
   * A range request missed and the origin answered 206: the whole representation is fetched in
   * the background, as a CDN edge does, so later ranges are hits. Only when a 200 with these
   * headers would be stored and its length (from Content-Range) is within the size limit.
   */
  private void fillAfterPartial(HeaderList partial) {
    BackgroundRefresher refresher = node.refresher();
    if (refresher == null || !request.method().equals("GET") || request.backgroundRefresh()) {
      return;
    }
    long length = ByteRanges.completeLength(partial.first("content-range"));
    if (length < 0 || length > node.config().maxObjectBytes(route)) {
      return;
    }
    if (node.policy().decide(request, requestVerdict, 200, partial, route, responseTime)
        .storable()) {
      startRefresh(refresher, VaryKey.of(partial.joined("vary"), request.headers(),
          route.normalizeHeaders()).keySet());
    }
  }

  /**
   * The part a 206 holds when it may be kept as an incomplete response: a client's GET, one
   * part of a representation of known length that fits in memory; else null.
   */
  private ByteRanges.Part storablePart(HeaderList partial) {
    if (!request.method().equals("GET") || request.backgroundRefresh()) {
      return null;
    }
    ByteRanges.Part part = ByteRanges.part(partial.first("content-range"));
    long inMemory = Math.min(Integer.MAX_VALUE, node.tiers().streamsLargeBodies()
        ? Math.min(node.tiers().largeObjectBytes(), node.config().maxObjectBytes(route))
        : node.config().maxObjectBytes(route)); // parts are ByteStrings
    return part != null && part.completeLength() <= inMemory ? part : null;
  }

  private HeaderMutation responseMutation(String cacheStatus) {
    HeaderMutation.Builder mutation = HeaderMutation.newBuilder()
        .addSetHeaders(ExchangeMessages.replace(CacheStatus.FIELD, cacheStatus));
    if (node.policy().stripsTargetedFields()) {
      mutation.addAllRemoveHeaders(node.policy().targetedFields());
    }
    return mutation.build();
  }

  /** A 304 to our validators: freshen the stored response and answer with it (§4.3.4). */
  private void answerFromRevalidated(HeaderList notModified) {
    HeaderList merged = Freshening.merge(selected.headers(), notModified);
    StoreVerdict verdict = node.policy().decide(
        request, requestVerdict, selected.status(), merged, route, responseTime);
    CacheStatus status = CacheStatus.forwarded(forwardReason).fwdStatus(304);
    CachedResponse freshened = selected;
    if (verdict.storable()) {
      freshened = Freshening.freshened(
          selected, verdict, notModified, request.requestTime(), responseTime);
      landStored(freshened, node.store(request.key(), freshened));
      status.stored().ttl(freshened.ttlSeconds(responseTime));
    } else {
      node.invalidate(request.key());
      status.detail(verdict.reason());
      land(null, false);
    }
    serve(freshened, status.detail(detail), Outcome.REVALIDATED, responseTime);
  }

  private void onResponseBody(HttpBody message) throws MalformedMessageException {
    if (phase == Phase.AWAIT_REQUEST_HEADERS || phase == Phase.AWAIT_RESPONSE_HEADERS
        || phase == Phase.WAITING_FOR_LEADER || phase == Phase.LOOKING_DOWN
        || phase == Phase.PURGING) {
      throw new MalformedMessageException("response_body: arrived before response_headers");
    }
    if (recorder != null && !recorder.append(message.getBody())) {
      recorder = null; // over the size limit or the spool: the rest passes unrecorded
      land(null, true);
    }
    if (message.getEndOfStream() && recorder != null) {
      commit();
    }
    out.onNext(ExchangeMessages.continueResponseBody());
  }

  private void commit() {
    BodyRecorder recorded = recorder;
    recorder = null;
    phase = Phase.DONE;
    if (declaredBodyLength >= 0 && declaredBodyLength != recorded.length()) {
      log.log(Level.FINE, "not storing {0}: body {1} bytes, content-length {2}",
          new Object[] {request.key(), recorded.length(), declaredBodyLength});
      recorded.drop();
      land(null, false);
      return;
    }
    if (recordingPart != null) {
      commitPart(recorded);
      return;
    }
    CachedResponse entry = new CachedResponse(
        responseStatus,
        storeVerdict.storedHeaders(),
        recorded.body(),
        responseTime,
        storeVerdict.correctedInitialAge(),
        storeVerdict.freshnessLifetime(),
        varyValues(),
        storeVerdict.rules(),
        recorded.length());
    CompletableFuture<Boolean> written = recorded.spooled()
        ? node.storeSpooled(request.key(), entry, recorded.spool())
        : node.store(request.key(), entry);
    settle(Outcome.MISS, responseStatus, recorded.length(), entry.ttlSeconds(responseTime), true);
    landStored(entry, written);
  }

  /**
   * Keeps a recorded 206 with the parts already held of its representation (RFC 9111 §3.4);
   * when they now make it complete, that is stored as any complete response is.
   */
  private void commitPart(BodyRecorder recorded) {
    ByteRanges.Part part = recordingPart;
    if (recorded.spooled() || recorded.length() != part.last() - part.first() + 1) {
      recorded.drop(); // not the part Content-Range announced
      land(null, false);
      return;
    }
    CachedResponse head = new CachedResponse(200, storeVerdict.storedHeaders(), ByteString.EMPTY,
        responseTime, storeVerdict.correctedInitialAge(), storeVerdict.freshnessLifetime(),
        varyValues(), storeVerdict.rules(), part.completeLength());
    CachedResponse complete =
        node.store().partials().add(request.key(), head, part.first(), recorded.body());
    settle(Outcome.MISS, responseStatus, recorded.length(), head.ttlSeconds(responseTime), true);
    if (complete != null) {
      landStored(complete, node.store(request.key(), complete));
    } else {
      land(null, false);
    }
  }

  /** The secondary key of the response being recorded. */
  private Map<String, String> varyValues() {
    return VaryKey.of(responseHeaders.joined("vary"), request.headers(), route.normalizeHeaders());
  }

  /**
   * Ends the flight and cluster lease this exchange holds, if any; followers get {@code entry}.
   * Other nodes waiting on the lease are released to the origin ({@code pass}) or may fetch.
   */
  private void land(CachedResponse entry, boolean pass) {
    if (leading != null) {
      Coalescer.Flight flight = leading;
      leading = null;
      node.coalescer().land(request.key().uri(), flight, entry, pass);
    }
    if (clusterLease != null) {
      ClusterCoalescer.Lease lease = clusterLease;
      clusterLease = null;
      if (pass) {
        lease.passed();
      } else {
        lease.abandoned();
      }
    }
  }

  /**
   * Lands a stored entry; other nodes are told once {@code written} has it in the tiers. Local
   * followers get an entry held in memory at once, a large one once the disk has its body.
   */
  private void landStored(CachedResponse entry, CompletableFuture<Boolean> written) {
    if (clusterLease != null) {
      clusterLease.filled(written);
      clusterLease = null;
    }
    if (entry.bodyInMemory() || leading == null) {
      land(entry, false);
      return;
    }
    Coalescer.Flight flight = leading;
    leading = null;
    String uri = request.key().uri();
    written.whenComplete((stored, error) -> node.coalescer().land(
        uri, flight, Boolean.TRUE.equals(stored) ? entry : null, false));
  }

  private static int parseStatus(String value) throws MalformedMessageException {
    if (value == null) {
      throw new MalformedMessageException("response_headers: missing :status pseudo-header");
    }
    if (value.length() != 3 || !Character.isDigit(value.charAt(0))
        || !Character.isDigit(value.charAt(1)) || !Character.isDigit(value.charAt(2))
        || value.charAt(0) < '1' || value.charAt(0) > '5') {
      throw new MalformedMessageException(
          "response_headers: :status '" + value + "' is not a status code 100-599");
    }
    return Integer.parseInt(value);
  }

  /** The Content-Length value, or -1 when absent or unusable. */
  private static long declaredLength(HeaderList headers) {
    String value = headers.first("content-length");
    if (value == null) {
      return -1;
    }
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
