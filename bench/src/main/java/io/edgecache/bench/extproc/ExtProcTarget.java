package io.edgecache.bench.extproc;

import io.edgecache.bench.load.RequestTarget;
import io.edgecache.extproc.body.BodyTokens;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;

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
  private final BodyClient bodyRoute;

  public ExtProcTarget(ExtProcClient client, Scenario scenario) {
    this(client, scenario, null);
  }

  /**
   * A target that follows a hit's reroute: a request_headers answer carrying the body token
   * is sent on {@code bodyRoute}, as the proxy's body route would, and ends with its body.
   */
  ExtProcTarget(ExtProcClient client, Scenario scenario, BodyClient bodyRoute) {
    this.client = client;
    this.scenario = scenario;
    this.bodyRoute = bodyRoute;
  }

  @Override
  public void issue(Completion done) {
    StreamExchange exchange = new StreamExchange(done);
    exchange.requests = (ClientCallStreamObserver<ProcessingRequest>) client.stub().process(exchange);
    exchange.requests.onNext(scenario.nextRequestHeaders());
  }

  /** One stream; gRPC delivers its callbacks serially, so the state needs no locking. */
  private final class StreamExchange implements StreamObserver<ProcessingResponse> {
    private final Completion done;
    private ClientCallStreamObserver<ProcessingRequest> requests;
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
      String bodyToken = bodyRoute == null ? null : bodyToken(answer);
      if (answer.hasImmediateResponse()) {
        finish(scenario.expectsImmediateResponse());
      } else if (bodyToken != null) {
        finished = true;
        close();
        bodyRoute.get(scenario.path(), BodyTokens.HEADER, bodyToken,
            length -> done.complete(length == scenario.bodyBytes()));
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
      close();
      done.complete(asExpected);
    }

    /**
     * As Envoy closes a stream by default (client_impl.cc, ExternalProcessorStreamImpl::close):
     * half-close, then reset.
     */
    private void close() {
      requests.onCompleted();
      requests.cancel("ext_proc stream closed", null);
    }

    /** The body token a reroute sets, or null. */
    private String bodyToken(ProcessingResponse answer) {
      for (HeaderValueOption line : answer.getRequestHeaders().getResponse().getHeaderMutation()
          .getSetHeadersList()) {
        if (line.getHeader().getKey().equals(BodyTokens.HEADER)) {
          return line.getHeader().getRawValue().toString(StandardCharsets.ISO_8859_1);
        }
      }
      return null;
    }

    private boolean bodyRequested(ProcessingResponse answer) {
      BodySendMode mode = answer.hasModeOverride()
          ? answer.getModeOverride().getResponseBodyMode() : CONFIGURED_BODY_MODE;
      return mode == BodySendMode.STREAMED;
    }
  }
}
