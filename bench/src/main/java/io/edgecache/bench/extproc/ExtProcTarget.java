package io.edgecache.bench.extproc;

import io.edgecache.bench.load.RequestTarget;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.stub.StreamObserver;

/**
 * Sends each request of a {@link Scenario} as Envoy's ext_proc filter does: one bidi
 * {@code Process} stream per HTTP request, request headers first, then response headers and
 * the response body chunks if the server asks for them, following its {@code mode_override}.
 */
public final class ExtProcTarget implements RequestTarget {

  /** The filter's configured response body mode (envoy/envoy.yaml) when not overridden. */
  private static final BodySendMode CONFIGURED_BODY_MODE = BodySendMode.STREAMED;

  private final ExtProcClient client;
  private final Scenario scenario;

  public ExtProcTarget(ExtProcClient client, Scenario scenario) {
    this.client = client;
    this.scenario = scenario;
  }

  @Override
  public void issue(Completion done) {
    StreamExchange exchange = new StreamExchange(done);
    exchange.requests = client.stub().process(exchange);
    exchange.requests.onNext(scenario.nextRequestHeaders());
  }

  /** One stream; gRPC delivers its callbacks serially, so the state needs no locking. */
  private final class StreamExchange implements StreamObserver<ProcessingResponse> {
    private final Completion done;
    private StreamObserver<ProcessingRequest> requests;
    private boolean finished;
    private int answersAwaited = 1;
    private boolean bodySent;

    StreamExchange(Completion done) {
      this.done = done;
    }

    @Override
    public void onNext(ProcessingResponse answer) {
      if (finished || --answersAwaited > 0) {
        return;
      }
      if (answer.hasImmediateResponse()) {
        finish(scenario.expectsImmediateResponse());
      } else if (answer.hasRequestHeaders()) {
        answersAwaited = 1;
        requests.onNext(scenario.responseHeaders());
      } else if (answer.hasResponseHeaders() && !bodySent && bodyRequested(answer)) {
        bodySent = true;
        answersAwaited = scenario.bodyChunks().size();
        for (ProcessingRequest chunk : scenario.bodyChunks()) {
          requests.onNext(chunk);
        }
      } else {
        finish(!scenario.expectsImmediateResponse());
      }
    }

    @Override
    public void onError(Throwable t) {
      if (!finished) {
        finished = true;
        done.complete(false);
      }
    }

    @Override
    public void onCompleted() {
      if (!finished) {
        finished = true;
        done.complete(false);
      }
    }

    private void finish(boolean asExpected) {
      finished = true;
      requests.onCompleted();
      done.complete(asExpected);
    }

    private boolean bodyRequested(ProcessingResponse answer) {
      BodySendMode mode = answer.hasModeOverride()
          ? answer.getModeOverride().getResponseBodyMode() : CONFIGURED_BODY_MODE;
      return mode == BodySendMode.STREAMED;
    }
  }
}
