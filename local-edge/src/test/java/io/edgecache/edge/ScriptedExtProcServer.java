package io.edgecache.edge;

import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A real ext_proc gRPC server on loopback whose answers a test scripts. */
final class ScriptedExtProcServer implements AutoCloseable {
  /** Decides what to send for each message; may answer later or never. */
  interface Script {
    void onMessage(ProcessingRequest request, StreamObserver<ProcessingResponse> out);
  }

  final BlockingQueue<ProcessingRequest> received = new LinkedBlockingQueue<>();
  private final Server server;
  private volatile Script script = (request, out) -> out.onNext(continueAnswer(request));

  ScriptedExtProcServer() throws Exception {
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new ExternalProcessorGrpc.ExternalProcessorImplBase() {
          @Override
          public StreamObserver<ProcessingRequest> process(StreamObserver<ProcessingResponse> out) {
            return new StreamObserver<>() {
              @Override
              public void onNext(ProcessingRequest request) {
                received.add(request);
                script.onMessage(request, out);
              }

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {
                out.onCompleted();
              }
            };
          }
        })
        .build()
        .start();
  }

  void script(Script script) {
    this.script = script;
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
