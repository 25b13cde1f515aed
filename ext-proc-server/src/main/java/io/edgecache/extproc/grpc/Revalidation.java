package io.edgecache.extproc.grpc;

import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.policy.CachePolicy;
import io.edgecache.extproc.policy.CacheStatus;
import io.edgecache.extproc.policy.Freshening;
import io.edgecache.extproc.policy.ServePolicy;
import io.edgecache.extproc.policy.StoreVerdict;
import io.edgecache.extproc.store.TieredStore;
import io.edgecache.extproc.telemetry.Outcome;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import java.time.Instant;

/**
 * A stored response that could not answer on its own but stays in play while the request goes
 * forward: revalidated with its validators and freshened by a 304 (RFC 9111 §4.3), or served
 * in place of an origin error where stale-if-error allows it (RFC 5861 §4).
 */
final class Revalidation {

  private final ExchangeState state;
  private final Hits hits;
  private final Fill fill;
  private final CachePolicy policy;
  /** Where a freshened response is stored, or an unusable one removed. */
  private final TieredStore tiers;
  /** The stored response in play when the request goes forward: stale, or being revalidated. */
  private CachedResponse selected;
  /** Whether the request carries the validators of {@link #selected}. */
  private boolean revalidating;

  Revalidation(ExchangeState state, Hits hits, Fill fill, CachePolicy policy,
      TieredStore tiers) {
    this.state = state;
    this.hits = hits;
    this.fill = fill;
    this.policy = policy;
    this.tiers = tiers;
  }

  /** Keeps {@code stale} in play; with {@code validators}, adds its validators to the request. */
  void select(CachedResponse stale, boolean validators, HeaderMutation.Builder mutation) {
    selected = stale;
    if (!validators) {
      return;
    }
    revalidating = true;
    String etag = stale.headers().first("etag");
    String lastModified = stale.headers().first("last-modified");
    if (etag != null) {
      mutation.addSetHeaders(ExchangeMessages.replace("if-none-match", etag));
    }
    if (lastModified != null) {
      mutation.addSetHeaders(ExchangeMessages.replace("if-modified-since", lastModified));
    }
  }

  /**
   * Answers from the selected response when the {@code status} lets it (a 304 to its validators,
   * an error it may stand in for); false when the response goes on as it is. Only the origin can
   * answer the validators: a reply Envoy made itself ({@code envoysOwn}) may only be an error.
   */
  boolean answer(int status, HeaderList headers, Instant responseTime, boolean envoysOwn) {
    if (selected == null) {
      return false;
    }
    ServePolicy.OnResponse next = ServePolicy.onResponse(status, revalidating && !envoysOwn,
        selected.bodyInMemory(),
        status >= 500 && policy.mayServeOnError(selected, responseTime));
    switch (next) {
      case FRESHEN -> freshen(headers, responseTime);
      case SERVE_STALE -> {
        fill.land(null, false);
        hits.serve(selected, CacheStatus.hit().alsoForwarded(state.forwardReason)
            .fwdStatus(status).ttl(selected.ttlSeconds(responseTime))
            .detail("stale-if-error"), Outcome.STALE, responseTime);
      }
      case PASS_ON -> {
        return false;
      }
    }
    return true;
  }

  /** A 304 to our validators: freshen the stored response and answer with it (§4.3.4). */
  private void freshen(HeaderList notModified, Instant responseTime) {
    HeaderList merged = Freshening.merge(selected.headers(), notModified);
    StoreVerdict verdict = policy.decide(
        state.request, state.requestVerdict, selected.status(), merged, state.route,
        responseTime);
    CacheStatus status = CacheStatus.forwarded(state.forwardReason).fwdStatus(304);
    CachedResponse freshened = selected;
    if (verdict.storable()) {
      freshened = Freshening.freshened(
          selected, verdict, notModified, state.request.requestTime(), responseTime);
      fill.landStored(freshened, tiers.store(state.request.key(), freshened));
      status.stored().ttl(freshened.ttlSeconds(responseTime));
    } else {
      tiers.invalidate(state.request.key());
      status.detail(verdict.reason());
      fill.land(null, false);
    }
    hits.serve(freshened, status.detail(state.detail), Outcome.REVALIDATED, responseTime);
  }
}
