package io.edgecache.edge.extproc;

import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Channel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import java.util.concurrent.Executor;

/**
 * The {@code Process} bidi stream of one HTTP request, opened lazily at the first message with
 * the route's extra initial metadata.
 *
 * <p>The gRPC channel runs its callbacks directly on its network thread; each callback hops
 * once to {@code exchangeExecutor} (the HTTP connection's event loop), so the listener and all
 * other methods are confined to that loop.
 */
final class ProcessorStream {
  /** Events of the stream, delivered on the exchange's event loop. */
  interface Listener {
    void onResponse(ProcessingResponse response);

    /** The server ended the stream: {@code OK} for a graceful close, else the error. */
    void onClosed(Status status);
  }

  private final Channel channel;
  private final Metadata initialMetadata;
  private final Executor exchangeExecutor;
  private final Listener listener;
  private ClientCallStreamObserver<ProcessingRequest> requests;
  private boolean closed;

  ProcessorStream(Channel channel, Metadata initialMetadata, Executor exchangeExecutor, Listener listener) {
    this.channel = channel;
    this.initialMetadata = initialMetadata;
    this.exchangeExecutor = exchangeExecutor;
    this.listener = listener;
  }

  void send(ProcessingRequest request) {
    if (closed) {
      return;
    }
    if (requests == null) {
      open();
    }
    requests.onNext(request);
  }

  /**
   * Closes as Envoy closes every ext_proc stream by default, whether processing finished, timed
   * out or the client went away (client_impl.cc, ExternalProcessorStreamImpl::close): half-close,
   * then reset, so the server sees its call cancelled right after the half-close and whatever it
   * sends later is dropped. Envoy waits for the server's close only with the runtime flag
   * {@code envoy.reloadable_features.ext_proc_graceful_grpc_close}, off by default. Later events
   * of the stream are dropped here too.
   *
   * @param reason why, as the reset's description
   */
  void close(String reason) {
    if (!closed && requests != null) {
      requests.onCompleted();
      requests.cancel(reason, null);
    }
    closed = true;
  }

  private void open() {
    ExternalProcessorGrpc.ExternalProcessorStub stub = ExternalProcessorGrpc.newStub(channel);
    if (initialMetadata.keys().size() > 0) {
      // ExtProcPerRoute.overrides.grpc_initial_metadata: sent with the stream's headers, as Envoy does.
      stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(initialMetadata));
    }
    stub.process(new ClientResponseObserver<ProcessingRequest, ProcessingResponse>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<ProcessingRequest> stream) {
        requests = stream;
      }

      @Override
      public void onNext(ProcessingResponse response) {
        exchangeExecutor.execute(() -> {
          if (!closed) {
            listener.onResponse(response);
          }
        });
      }

      @Override
      public void onError(Throwable t) {
        Status status = Status.fromThrowable(t);
        exchangeExecutor.execute(() -> deliverClose(status));
      }

      @Override
      public void onCompleted() {
        exchangeExecutor.execute(() -> deliverClose(Status.OK));
      }
    });
  }

  private void deliverClose(Status status) {
    if (!closed) {
      closed = true;
      listener.onClosed(status);
    }
  }
}
