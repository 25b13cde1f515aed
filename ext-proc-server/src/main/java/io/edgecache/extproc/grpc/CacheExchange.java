package io.edgecache.extproc.grpc;

import io.edgecache.extproc.policy.remote.RemotePolicy;
import io.edgecache.extproc.telemetry.CacheMetrics;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

/**
 * One HTTP request's ext_proc stream, as a step machine ({@link ExchangeStep}) translating
 * ext_proc messages. At {@code request_headers} ({@link RequestHeaders}) it answers from a
 * usable stored response, waits for another request's fetch of the same key ({@link Fill}), or
 * lets the request go on, with validators when it holds a stale entry ({@link Revalidation});
 * at {@code response_headers} ({@link ResponseHeaders}) it freshens on 304, serves stale on
 * errors where allowed, and decides whether the response is stored, turning body messages off
 * when it is not; body chunks are answered one by one and the entry is committed at
 * {@code end_of_stream} ({@link ResponseRecorder}).
 *
 * <p>Everything runs on the exchange's serial executor: gRPC's messages (on the transport
 * thread when it is idle) and every continuation (lookups below memory, the leader's landing,
 * cluster turns, PURGE verdicts, timeouts), so its state needs no lock.
 */
final class CacheExchange implements StreamObserver<ProcessingRequest> {

  private final ExchangeState state;
  private final CacheMetrics metrics;
  private final RequestHeaders requestHeaders;
  private final ResponseHeaders responseHeaders;
  private final ResponseRecorder recorder;
  private final Fill fill;

  /** @param pushedPolicy the policy the control plane pushed for the request's route, or null */
  CacheExchange(ExchangeServices services, StreamObserver<Outbound> out,
      RemotePolicy pushedPolicy) {
    this.state =
        new ExchangeState(out, services.scheduler, services.metrics, services.coalescer);
    this.metrics = services.metrics;
    Hits hits = new Hits(state, services.memory.partials(), services.policy,
        services.hitGate, services.bodyTokens);
    this.fill = new Fill(state, hits, services.config.collapsing(), services.coalescer,
        services.cluster, services.scheduler, services.metrics, services.clock,
        services.policy);
    this.recorder = new ResponseRecorder(state, fill, services.config, services.tiers,
        services.memory.partials(), services.recordings);
    BackgroundFetch background =
        new BackgroundFetch(state, services.refresher, services.config, services.policy);
    Revalidation revalidation =
        new Revalidation(state, hits, fill, services.policy, services.tiers);
    this.requestHeaders = new RequestHeaders(state, hits, fill, revalidation, background,
        new EdgePurge(state, services.edgePurges), services.config, pushedPolicy, services.policy,
        services.hitGate, services.memory, services.tiers, services.scheduler, services.clock,
        services.telemetry);
    this.responseHeaders = new ResponseHeaders(state, revalidation, background, recorder, fill,
        services.storeUpdates, services.policy, services.config, services.clock);
  }

  @Override
  public void onNext(ProcessingRequest message) {
    state.serial.executeHere(() -> handle(message));
  }

  @Override
  public void onError(Throwable t) {
    // Envoy reset the stream (client gone, timeout): whatever was being recorded is incomplete.
    state.serial.executeHere(this::end);
  }

  @Override
  public void onCompleted() {
    state.serial.executeHere(() -> {
      end();
      state.complete();
    });
  }

  private void handle(ProcessingRequest message) {
    if (state.step() == ExchangeStep.CLOSED) {
      return;
    }
    long started = System.nanoTime();
    try {
      switch (message.getRequestCase()) {
        case REQUEST_HEADERS -> requestHeaders.on(message.getRequestHeaders());
        case RESPONSE_HEADERS -> responseHeaders.on(message.getResponseHeaders(),
            ResponseSource.isEnvoysOwn(message));
        case RESPONSE_BODY -> onResponseBody(message.getResponseBody());
        case REQUEST_BODY -> state.send(ExchangeMessages.continueRequestBody());
        case REQUEST_TRAILERS -> state.send(ExchangeMessages.continueRequestTrailers());
        case RESPONSE_TRAILERS -> state.send(ExchangeMessages.continueResponseTrailers());
        case REQUEST_NOT_SET -> throw new MalformedMessageException(
            "ProcessingRequest carries none of request_headers, response_headers, request_body,"
                + " response_body, request_trailers, response_trailers");
      }
    } catch (MalformedMessageException e) {
      end();
      state.fail(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
    }
    metrics.message(messageType(message), System.nanoTime() - started);
  }

  private static String messageType(ProcessingRequest message) {
    return switch (message.getRequestCase()) {
      case REQUEST_HEADERS -> "request_headers";
      case RESPONSE_HEADERS -> "response_headers";
      case RESPONSE_BODY -> "response_body";
      default -> "other";
    };
  }

  private void onResponseBody(HttpBody message) throws MalformedMessageException {
    if (state.step().beforeResponseHeaders()) {
      throw new MalformedMessageException("response_body: arrived before response_headers");
    }
    recorder.append(message);
    state.send(ExchangeMessages.continueResponseBody());
  }

  /** The stream is over: a recording in progress is dropped, a flight or lease still held ends. */
  private void end() {
    if (state.step() == ExchangeStep.CLOSED) {
      return;
    }
    boolean finished = state.step() == ExchangeStep.DONE;
    state.moveTo(ExchangeStep.CLOSED);
    recorder.drop();
    fill.land(null, false);
    state.tally.close(state.trace, finished);
  }
}
