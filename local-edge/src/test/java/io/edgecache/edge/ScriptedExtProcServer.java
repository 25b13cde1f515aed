package io.edgecache.edge;

import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** A real ext_proc gRPC server on loopback whose answers a test scripts. */
final class ScriptedExtProcServer implements AutoCloseable {
  /** Decides what to send for each message; may answer later or never. */
  interface Script {
    void onMessage(ProcessingRequest request, StreamObserver<ProcessingResponse> out);
  }

  final BlockingQueue<ProcessingRequest> received = new LinkedBlockingQueue<>();
  /** The gRPC headers each stream opened with, in order. */
  final BlockingQueue<Metadata> streamHeaders = new LinkedBlockingQueue<>();
  /** The client address (the edge's end of its connection) each stream came on, in order. */
  final BlockingQueue<SocketAddress> streamPeers = new LinkedBlockingQueue<>();
  /**
   * How many messages each stream had carried when the client closed it, in order. Envoy
   * half-closes and resets at once, and grpc-java drops the half-close of a call cancelled
   * before it was delivered, so a close is whichever of the two this server sees first.
   */
  final BlockingQueue<Integer> closedAfter = new LinkedBlockingQueue<>();
  /** How many messages each stream had carried when the client reset it, in order. */
  final BlockingQueue<Integer> cancelledAfter = new LinkedBlockingQueue<>();
  private final Server server;
  private volatile Script script = (request, out) -> out.onNext(continueAnswer(request));
  /** Whether the server ends a call once the client half-closed it; if not, only a reset does. */
  private volatile boolean closeOnHalfClose = true;

  ScriptedExtProcServer() throws Exception {
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(ServerInterceptors.intercept(new ExternalProcessorGrpc.ExternalProcessorImplBase() {
          @Override
          public StreamObserver<ProcessingRequest> process(StreamObserver<ProcessingResponse> out) {
            AtomicInteger carried = new AtomicInteger();
            AtomicBoolean closed = new AtomicBoolean();
            ((ServerCallStreamObserver<ProcessingResponse>) out).setOnCancelHandler(() -> {
              if (closed.compareAndSet(false, true)) {
                closedAfter.add(carried.get());
              }
              cancelledAfter.add(carried.get());
            });
            return new StreamObserver<>() {

              @Override
              public void onNext(ProcessingRequest request) {
                carried.incrementAndGet();
                received.add(request);
                script.onMessage(request, out);
              }

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {
                if (closed.compareAndSet(false, true)) {
                  closedAfter.add(carried.get());
                }
                if (closeOnHalfClose) {
                  out.onCompleted();
                }
              }
            };
          }
        }, new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
              ServerCallHandler<Q, R> next) {
            streamHeaders.add(headers);
            streamPeers.add(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
            return next.startCall(call, headers);
          }
        }))
        .build()
        .start();
  }

  void script(Script script) {
    this.script = script;
  }

  /** Leaves every call open after the client's half-close, as a server that has more to say. */
  void keepCallsOpenAfterHalfClose() {
    closeOnHalfClose = false;
  }

  int port() {
    return server.getPort();
  }

  ProcessingRequest next() throws InterruptedException {
    ProcessingRequest request = received.poll(5, TimeUnit.SECONDS);
    if (request == null) {
      throw new AssertionError("no ext_proc message within 5s");
    }
    return request;
  }

  /** The value of pseudo-header {@code name} in a request_headers message, or "". */
  static String pseudo(ProcessingRequest request, String name) {
    return request.getRequestHeaders().getHeaders().getHeadersList().stream()
        .filter(header -> header.getKey().equals(name))
        .map(header -> header.getRawValue().toStringUtf8())
        .findFirst().orElse("");
  }

  /** A plain CONTINUE answer of the kind {@code request} expects. */
  static ProcessingResponse continueAnswer(ProcessingRequest request) {
    ProcessingResponse.Builder answer = ProcessingResponse.newBuilder();
    switch (request.getRequestCase()) {
      case REQUEST_HEADERS -> answer.getRequestHeadersBuilder();
      case RESPONSE_HEADERS -> answer.getResponseHeadersBuilder();
      case REQUEST_BODY -> answer.getRequestBodyBuilder();
      case RESPONSE_BODY -> answer.getResponseBodyBuilder();
      default -> throw new IllegalArgumentException("unexpected " + request.getRequestCase());
    }
    return answer.build();
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
