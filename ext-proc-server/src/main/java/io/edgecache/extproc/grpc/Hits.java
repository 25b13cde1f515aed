package io.edgecache.extproc.grpc;

import com.google.protobuf.ByteString;
import io.edgecache.extproc.body.BodyTokens;
import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.cache.PartialStore;
import io.edgecache.extproc.fields.ByteRanges;
import io.edgecache.extproc.policy.CachePolicy;
import io.edgecache.extproc.policy.CacheStatus;
import io.edgecache.extproc.policy.RequestFacts;
import io.edgecache.extproc.policy.ReuseVerdict;
import io.edgecache.extproc.purge.HitGate;
import io.edgecache.extproc.telemetry.Outcome;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import java.time.Instant;
import java.util.List;

/**
 * Answers from the store: a stored response (its body inline, or rerouted to the body endpoint
 * when held below memory), a range of a stored partial response, or 504 for only-if-cached.
 */
final class Hits {

  /** Cache-Status detail of a hit served while the purge stream is down, within the grace. */
  private static final String PURGE_STREAM_DOWN = "purge-stream-down";

  private final ExchangeState state;
  /** Where stored partial responses are found. */
  private final PartialStore partials;
  private final CachePolicy policy;
  private final HitGate hitGate;
  private final BodyTokens bodyTokens;

  Hits(ExchangeState state, PartialStore partials, CachePolicy policy, HitGate hitGate,
      BodyTokens bodyTokens) {
    this.state = state;
    this.partials = partials;
    this.policy = policy;
    this.hitGate = hitGate;
    this.bodyTokens = bodyTokens;
  }

  /**
   * Answers from {@code entry} as of {@code now}: the instant the caller judged it at, so the
   * Age sent and the Cache-Status ttl always add up to its freshness lifetime.
   */
  void serve(CachedResponse entry, CacheStatus status, Outcome how, Instant now) {
    RequestFacts request = state.request;
    if (entry.bodyInMemory()) {
      Outbound answer = StoredResponses.answer(entry, request, now, status);
      // The bytes actually sent: a range or a 304 carries less than the stored body.
      state.finish(answer, how, entry.status(), answer.immediateBodySize(),
          entry.ttlSeconds(now));
      return;
    }
    ProcessingResponse answer = StoredResponses.answerWithoutBody(entry, request, now, status)
        .orElseGet(() -> ExchangeMessages.rerouteRequest(ExchangeMessages.replace(
            BodyTokens.HEADER, bodyTokens.issue(request.key().uri(),
                BodyTokens.version(entry.responseTime(), entry.bodyLength()),
                status.appendTo(entry.joinedHeader(CacheStatus.FIELD))))));
    state.finish(answer, how, entry.status(), request.isHead() ? 0 : entry.bodyLength(),
        entry.ttlSeconds(now));
  }

  /**
   * A hit's detail, marked {@code purge-stream-down} while the node serves on grace (a purge
   * accepted meanwhile may not have reached it yet); RFC 8941 tokens may hold '+'.
   */
  String hitDetail(String reuseDetail) {
    if (!hitGate.inGrace()) {
      return reuseDetail;
    }
    return reuseDetail == null ? PURGE_STREAM_DOWN : reuseDetail + "+" + PURGE_STREAM_DOWN;
  }

  /**
   * Answers a single-range GET from a stored incomplete response that holds the whole range
   * and may be served (RFC 9111 §3.3); false when it cannot.
   */
  boolean servePartial(Instant now) {
    RequestFacts request = state.request;
    String range = request.headers().first("range");
    if (range == null || !request.method().equals("GET") || !state.requestVerdict.mayServe()
        || request.isConditional()) {
      return false;
    }
    PartialStore.Partial partial = partials.find(request.key(), state::matchesVary);
    if (partial == null) {
      return false;
    }
    CachedResponse head = partial.head();
    List<ByteRanges.Range> ranges = ByteRanges.parse(range, head.bodyLength());
    if (ranges == null || ranges.size() != 1
        || policy.reuse(request, head, now).action() != ReuseVerdict.Action.SERVE) {
      return false;
    }
    ByteRanges.Range wanted = ranges.get(0);
    ByteString part = partial.slice(wanted.first(), wanted.last());
    if (part == null) {
      return false;
    }
    state.finish(StoredResponses.partialContent(head, wanted, part, now,
            CacheStatus.hit().ttl(head.ttlSeconds(now)).detail("partial")),
        Outcome.HIT, 206, part.size(), head.ttlSeconds(now));
    return true;
  }

  /** Answers 504: the client asked only-if-cached (RFC 9111 §5.2.1.7) and nothing may serve. */
  void refuseOnlyIfCached() {
    state.finish(StoredResponses.gatewayTimeout(
            CacheStatus.forwarded(state.forwardReason).detail("only-if-cached")),
        Outcome.LOCAL, 504, 0, null);
  }
}
