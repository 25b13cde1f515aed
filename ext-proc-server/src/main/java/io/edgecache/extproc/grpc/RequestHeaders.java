package io.edgecache.extproc.grpc;

import com.google.protobuf.ByteString;
import io.edgecache.extproc.cache.CacheKey;
import io.edgecache.extproc.cache.CacheKeys;
import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.cache.L1Store;
import io.edgecache.extproc.concurrent.Deadlines;
import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.policy.CachePolicy;
import io.edgecache.extproc.policy.CacheStatus;
import io.edgecache.extproc.policy.RequestFacts;
import io.edgecache.extproc.policy.RequestVerdict;
import io.edgecache.extproc.policy.ReuseVerdict;
import io.edgecache.extproc.policy.ServeDecision.ForwardReason;
import io.edgecache.extproc.policy.ServeDecision;
import io.edgecache.extproc.policy.ServePolicy;
import io.edgecache.extproc.policy.remote.RemotePolicy;
import io.edgecache.extproc.purge.HitGate;
import io.edgecache.extproc.refresh.BackgroundRefresher;
import io.edgecache.extproc.store.TieredStore;
import io.edgecache.extproc.telemetry.Outcome;
import io.edgecache.extproc.telemetry.Telemetry;
import io.edgecache.http.PathNormalizer;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.opentelemetry.api.trace.Span;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The {@code request_headers} step: screens the request and builds its key, then answers it
 * from the store, sends it on (maybe collapsed, maybe with validators), or hands an HTTP PURGE
 * to {@link EdgePurge}. Which it is, {@link ServePolicy#decide} says.
 */
final class RequestHeaders {

  private final ExchangeState state;
  private final Hits hits;
  private final Fill fill;
  private final Revalidation revalidation;
  private final BackgroundFetch background;
  private final EdgePurge purge;
  /** Routes, path normalisation and how long a lookup below memory may take. */
  private final ServerConfig config;
  /** The policy the control plane pushed for this request's route, or null. */
  private final RemotePolicy pushedPolicy;
  private final CachePolicy policy;
  /** Closed while the purge replay is not over: nothing is answered from the cache. */
  private final HitGate hitGate;
  /** The memory tier, consulted synchronously. */
  private final L1Store memory;
  private final TieredStore tiers;
  /** Times the wait for the tiers below memory. */
  private final ScheduledExecutorService scheduler;
  private final Clock clock;
  private final Telemetry telemetry;

  RequestHeaders(ExchangeState state, Hits hits, Fill fill, Revalidation revalidation,
      BackgroundFetch background, EdgePurge purge, ServerConfig config, RemotePolicy pushedPolicy,
      CachePolicy policy, HitGate hitGate, L1Store memory, TieredStore tiers,
      ScheduledExecutorService scheduler, Clock clock, Telemetry telemetry) {
    this.state = state;
    this.hits = hits;
    this.fill = fill;
    this.revalidation = revalidation;
    this.background = background;
    this.purge = purge;
    this.config = config;
    this.pushedPolicy = pushedPolicy;
    this.policy = policy;
    this.hitGate = hitGate;
    this.memory = memory;
    this.tiers = tiers;
    this.scheduler = scheduler;
    this.clock = clock;
    this.telemetry = telemetry;
  }

  void on(HttpHeaders message) throws MalformedMessageException {
    if (state.step() != ExchangeStep.AWAIT_REQUEST_HEADERS) {
      throw new MalformedMessageException("request_headers: received twice on one stream");
    }
    HeaderList headers = HeaderList.fromEnvoy(message.getHeaders());
    RequestLine line = RequestLine.from(headers);
    RequestScreen screen = RequestScreen.of(line, headers, message.getEndOfStream(),
        new PathNormalizer(config.escapedSlashes()));
    if (screen.rejection() != null) {
      reject(screen.rejection());
      return;
    }
    state.route = config.routeFor(line.authority(), screen.pathOnly());
    if (pushedPolicy != null) {
      state.route = pushedPolicy.applyTo(state.route);
    }
    CacheKey key = CacheKeys.forTarget(
        line.scheme(), line.authority(), screen.path(), state.route, headers);
    Instant now = clock.instant();
    state.request = RequestFacts.of(line.method(), key, headers, now);
    state.trace = telemetry.startExchange(
        headers, line.method(), line.scheme(), line.authority(), line.path(), key);

    // Asked, not left to NONE: without a control plane a PURGE goes on like any request.
    if (line.method().equals("PURGE") && state.route.purgeRequests() && purge.enabled()) {
      purge.submit(line, headers);
      return;
    }

    HeaderMutation.Builder mutation = HeaderMutation.newBuilder();
    String marker = headers.first(BackgroundRefresher.MARKER);
    if (marker != null) {
      mutation.addRemoveHeaders(BackgroundRefresher.MARKER); // never reaches the origin
      if (background.isOurs(marker)) {
        state.request = state.request.asBackgroundRefresh();
      }
    }
    RequestVerdict verdict = screen.bypass() != null
        ? new RequestVerdict(false, false, false, "bypass", screen.bypass())
        : policy.classify(state.request, state.route);
    state.requestVerdict = verdict;
    state.target = screen.path();
    state.forwardReason = verdict.forwardReason();
    state.detail = verdict.detail();
    state.moveTo(ExchangeStep.AWAIT_RESPONSE_HEADERS);
    if (!verdict.lookup()) {
      if (verdict.mayStore()) {
        UnkeyedInputs.remove(state.route, state.target, state.request.headers(), mutation);
      }
      state.send(ExchangeMessages.continueRequestHeaders(mutation.build()));
      return;
    }
    if (!hitGate.isOpen()) {
      // Purges may be missing (replay not over): nothing is answered from the cache.
      state.forwardReason = state.forwardReason == null ? "uri-miss" : state.forwardReason;
      state.detail = "purge-replay";
      fill.forward(mutation);
      return;
    }
    lookUp(key, mutation);
  }

  /** Memory first; on a miss for an unknown key, the tiers below within the lookup wait. */
  private void lookUp(CacheKey key, HeaderMutation.Builder mutation) {
    Span lookupSpan = state.trace.lookup("l1");
    L1Store.Lookup lookup = memory.lookup(key, state::matchesVary);
    CachedResponse entry = lookup.entry() != null || !lookup.keyKnown() ? lookup.entry()
        : state.preferredLanguage(memory.variants(key));
    state.trace.endLookup(lookupSpan, entry != null);
    if (entry == null && !lookup.keyKnown() && tiers.hasLowerTiers()) {
      state.moveTo(ExchangeStep.LOOKING_DOWN);
      Span below = state.trace.lookup("lower");
      Deadlines.orElse(tiers.lookupBelowMemory(key), null,
              config.tiers().lookupWait(), scheduler)
          .whenCompleteAsync((found, error) -> {
            state.trace.endLookup(below, found != null);
            onLowerTiersAnswered(found, mutation);
          }, state.serial);
      return;
    }
    decide(entry, lookup.keyKnown(), mutation);
  }

  /** A request target no key may be built from: 400, before anything else happens. */
  private void reject(String why) {
    ByteString body = ByteString.copyFromUtf8("Bad Request: " + why + "\n");
    state.finish(ExchangeMessages.immediate(400,
            HeaderList.of(List.of(new HeaderList.Field("content-type", "text/plain"))), body,
            "edgecache_invalid_request_target"),
        Outcome.LOCAL, 400, body.size(), null);
  }

  private void onLowerTiersAnswered(CachedResponse found, HeaderMutation.Builder mutation) {
    if (state.step() != ExchangeStep.LOOKING_DOWN) {
      return; // the stream ended first
    }
    state.moveTo(ExchangeStep.AWAIT_RESPONSE_HEADERS);
    boolean matches = found != null
        && (state.matchesVary(found) || state.preferredLanguage(List.of(found)) != null);
    decide(matches ? found : null, found != null, mutation);
  }

  /** Serves, refreshes or forwards the request given what the store holds for it. */
  private void decide(CachedResponse entry, boolean keyKnown, HeaderMutation.Builder mutation) {
    RequestFacts request = state.request;
    Instant now = request.requestTime();
    boolean inMemory = entry != null && entry.bodyInMemory();
    boolean readable = entry != null && !inMemory && tiers.mayStreamBody(request.key());
    ReuseVerdict reuse = (inMemory || readable) && state.requestVerdict.mayServe()
        ? policy.reuse(request, entry, now) : null;
    // Whether a refresh can start decides whether stale-while-revalidate may serve: NONE says no.
    ServeDecision decision = ServePolicy.decide(
        new ServePolicy.Stored(entry != null, inMemory, readable,
            entry != null && entry.hasValidator(), reuse == null ? null : reuse.action()),
        new ServePolicy.Asked(state.requestVerdict.mayServe(),
            request.cacheControl().has("only-if-cached"), request.isConditional(),
            request.isHead(), background.enabled()));
    if (decision instanceof ServeDecision.Hit hit) {
      if (hit.reason() == ServeDecision.HitReason.STALE_WHILE_REVALIDATE) {
        background.refresh(entry.varyValues().keySet());
      }
      hits.serve(entry,
          CacheStatus.hit().ttl(entry.ttlSeconds(now)).detail(hits.hitDetail(reuse.detail())),
          entry.isFresh(now) ? Outcome.HIT : Outcome.STALE, now);
      return;
    }
    ForwardReason why = decision instanceof ServeDecision.Refuse refuse
        ? refuse.reason() : ((ServeDecision.Forward) decision).reason();
    if (why == ForwardReason.BODY_GONE) {
      memory.remove(request.key(), entry); // fetched anew
    }
    if (why.nothingStored()) {
      if (hits.servePartial(now)) {
        return;
      }
      state.forwardReason = state.forwardReason != null ? state.forwardReason
          : keyKnown ? "vary-miss" : "uri-miss";
    } else if (why == ForwardReason.MUST_REVALIDATE) {
      state.forwardReason = state.forwardReason == null
          ? reuse.forwardReason() : state.forwardReason;
      state.detail = state.detail == null ? reuse.detail() : state.detail;
    }
    if (decision instanceof ServeDecision.Refuse) {
      hits.refuseOnlyIfCached();
      return;
    }
    if (why == ForwardReason.MUST_REVALIDATE) {
      revalidation.select(entry, ((ServeDecision.Forward) decision).validators(), mutation);
    }
    fill.forward(mutation); // e.g. Authorization: the origin must see the credentials
  }
}
