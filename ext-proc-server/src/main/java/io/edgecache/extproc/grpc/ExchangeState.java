package io.edgecache.extproc.grpc;

import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.coalesce.Coalescer;
import io.edgecache.extproc.concurrent.SerialExecutor;
import io.edgecache.extproc.config.RoutePolicy;
import io.edgecache.extproc.fields.AcceptEncoding;
import io.edgecache.extproc.policy.LanguageVariants;
import io.edgecache.extproc.policy.RequestFacts;
import io.edgecache.extproc.policy.RequestVerdict;
import io.edgecache.extproc.policy.VaryKey;
import io.edgecache.extproc.telemetry.CacheMetrics;
import io.edgecache.extproc.telemetry.ExchangeTrace;
import io.edgecache.extproc.telemetry.Outcome;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * What the parts of one exchange share: the stream back to Envoy, the step it is at,
 * the request being answered and how its end is counted. Confined to the exchange's
 * {@link SerialExecutor}: only code running there reads or writes it, so nothing is locked.
 */
final class ExchangeState {

  /** Where every message and continuation of this exchange runs, one at a time. */
  final SerialExecutor serial;
  final Tally tally;
  private final StreamObserver<Outbound> out;
  /** Counts the node's followers waiting right now. */
  private final Coalescer coalescer;
  private ExchangeStep step = ExchangeStep.AWAIT_REQUEST_HEADERS;

  // The request, known once its headers arrived.
  RequestFacts request;
  RequestVerdict requestVerdict;
  RoutePolicy route;
  /** The normalised request target (query as sent) that unkeyed query parameters leave. */
  String target;
  ExchangeTrace trace = ExchangeTrace.NONE;
  /** Cache-Status {@code fwd} value and detail for a request that goes to the origin. */
  String forwardReason;
  String detail;

  /** @param continuations where continuations that leave a completing thread run */
  ExchangeState(StreamObserver<Outbound> out, Executor continuations,
      CacheMetrics metrics, Coalescer coalescer) {
    this.out = out;
    this.serial = new SerialExecutor(continuations);
    this.tally = new Tally(metrics);
    this.coalescer = coalescer;
  }

  ExchangeStep step() {
    return step;
  }

  /**
   * Moves to {@code next}; the one place the node's count of waiting followers changes, so it
   * balances however a wait ends.
   */
  void moveTo(ExchangeStep next) {
    if (step == ExchangeStep.WAITING_FOR_LEADER) {
      coalescer.waiting(-1);
    }
    if (next == ExchangeStep.WAITING_FOR_LEADER) {
      coalescer.waiting(1);
    }
    step = next;
  }

  void send(ProcessingResponse message) {
    out.onNext(new Outbound.Message(message));
  }

  /** Sends the request's final answer; nothing can change how it ends, so it counts at once. */
  void finish(ProcessingResponse answer, Outcome how, int status, long bytes, Long ttlSeconds) {
    finish(new Outbound.Message(answer), how, status, bytes, ttlSeconds);
  }

  void finish(Outbound answer, Outcome how, int status, long bytes, Long ttlSeconds) {
    moveTo(ExchangeStep.DONE);
    tally.settle(how, status, bytes, ttlSeconds, true);
    out.onNext(answer);
  }

  void fail(Throwable error) {
    out.onError(error);
  }

  void complete() {
    out.onCompleted();
  }

  /**
   * Whether {@code entry} may answer this request: its Vary values match and its content
   * coding is one the request accepts (Accept-Encoding normalisation folds requests that
   * accept different codings into one variant).
   */
  boolean matchesVary(CachedResponse entry) {
    return VaryKey.matches(entry.varyValues(), request.headers(), route.normalizeHeaders())
        && AcceptEncoding.accepts(request.headers().joined("accept-encoding"),
            entry.joinedHeader("content-encoding"));
  }

  /** A variant in the request's most preferred language when none matched exactly, or null. */
  CachedResponse preferredLanguage(List<CachedResponse> variants) {
    return LanguageVariants.preferred(variants, request.headers(), route.normalizeHeaders());
  }
}
