package io.edgecache.bench.extproc;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The protocol floor: an ext_proc server that does nothing but answer. Every answer is built
 * once at start and is as large as edgecache's answer to the same scenario (same header
 * fields, same body), and the gRPC server is set up exactly as {@code ExtProcServer} is
 * (Netty, default epoll event loops, {@code directExecutor}). What edgecache is slower by is
 * therefore what its cache logic costs.
 */
public final class FloorServer implements AutoCloseable {

  private static final String CACHE_STATUS = "cache-status";

  private final Server server;

  private FloorServer(Server server) {
    this.server = server;
  }

  /** Starts on an ephemeral loopback port, answering as edgecache answers {@code scenario}. */
  public static FloorServer start(Scenario scenario) throws IOException {
    Answers answers = Answers.of(scenario);
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .directExecutor()
        .maxInboundMessageSize(16 << 20)
        .addService(new ExternalProcessorGrpc.ExternalProcessorImplBase() {
          @Override
          public StreamObserver<ProcessingRequest> process(
              StreamObserver<ProcessingResponse> out) {
            return new FixedAnswers(answers, out);
          }
        })
        .build()
        .start();
    return new FloorServer(server);
  }

  public int port() {
    return server.getPort();
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  /** The prebuilt answer to each message kind. */
  private record Answers(
      ProcessingResponse requestHeaders, ProcessingResponse responseHeaders,
      ProcessingResponse body) {

    static Answers of(Scenario scenario) {
      ProcessingResponse requestHeaders = scenario.expectsImmediateResponse()
          ? hit(scenario.bodyBytes())
          : ProcessingResponse.newBuilder()
              .setRequestHeaders(HeadersResponse.getDefaultInstance()).build();
      BodySendMode bodyMode = scenario.kind() == Scenario.Kind.MISS
          ? BodySendMode.STREAMED : BodySendMode.NONE;
      ProcessingResponse responseHeaders = ProcessingResponse.newBuilder()
          .setResponseHeaders(HeadersResponse.newBuilder().setResponse(
              CommonResponse.newBuilder().setHeaderMutation(HeaderMutation.newBuilder()
                  .addSetHeaders(field(CACHE_STATUS,
                      "edgecache; fwd=uri-miss; fwd-status=200; stored; ttl=3600")))))
          .setModeOverride(ProcessingMode.newBuilder()
              .setRequestHeaderMode(ProcessingMode.HeaderSendMode.SEND)
              .setResponseHeaderMode(ProcessingMode.HeaderSendMode.SEND)
              .setResponseBodyMode(bodyMode)
              .setRequestTrailerMode(ProcessingMode.HeaderSendMode.SKIP)
              .setResponseTrailerMode(ProcessingMode.HeaderSendMode.SKIP))
          .build();
      ProcessingResponse body = ProcessingResponse.newBuilder()
          .setResponseBody(BodyResponse.getDefaultInstance()).build();
      return new Answers(requestHeaders, responseHeaders, body);
    }

    /** The stored origin headers plus Age and Cache-Status, as edgecache replays a hit. */
    private static ProcessingResponse hit(int bodyBytes) {
      HeaderMutation.Builder headers = HeaderMutation.newBuilder();
      String[] origin = Scenario.originResponseHeaders(bodyBytes);
      for (int i = 0; i < origin.length; i += 2) {
        if (!origin[i].startsWith(":")) {
          headers.addSetHeaders(field(origin[i], origin[i + 1]));
        }
      }
      headers.addSetHeaders(field("age", "0"));
      headers.addSetHeaders(field(CACHE_STATUS, "edgecache; hit; ttl=3600"));
      return ProcessingResponse.newBuilder()
          .setImmediateResponse(ImmediateResponse.newBuilder()
              .setStatus(HttpStatus.newBuilder().setCodeValue(200))
              .setHeaders(headers)
              .setBody(Scenario.body(bodyBytes))
              .setDetails("edgecache_hit"))
          .build();
    }

    private static HeaderValueOption field(String name, String value) {
      return HeaderValueOption.newBuilder()
          .setHeader(HeaderValue.newBuilder().setKey(name)
              .setRawValue(ByteString.copyFrom(value, StandardCharsets.ISO_8859_1)))
          .build();
    }
  }

  /** Answers each message of one stream with the prebuilt answer for its kind. */
  private static final class FixedAnswers implements StreamObserver<ProcessingRequest> {
    private final Answers answers;
    private final StreamObserver<ProcessingResponse> out;

    FixedAnswers(Answers answers, StreamObserver<ProcessingResponse> out) {
      this.answers = answers;
      this.out = out;
    }

    @Override
    public void onNext(ProcessingRequest message) {
      switch (message.getRequestCase()) {
        case REQUEST_HEADERS -> out.onNext(answers.requestHeaders());
        case RESPONSE_HEADERS -> out.onNext(answers.responseHeaders());
        default -> out.onNext(answers.body());
      }
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {
      out.onCompleted();
    }
  }
}
