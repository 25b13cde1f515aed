package io.edgecache.tests;

import com.google.protobuf.ByteString;
import io.edgecache.extproc.policy.remote.RemotePolicy;
import io.edgecache.extproc.policy.remote.RemotePolicyInterceptor;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * A real ext_proc server that reports, in response headers, the route policy it received from
 * the control plane through {@link RemotePolicyInterceptor}: {@code x-policy: id@version} and
 * {@code x-policy-ttl: SECONDS} (its default TTL). It stands in for the cache semantics that
 * will consume those policies, so tests can see exactly which policy each request carried.
 */
final class PolicyEchoProcessor implements AutoCloseable {
  private final Server server;

  PolicyEchoProcessor() throws IOException {
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(ServerInterceptors.intercept(new Service(), new RemotePolicyInterceptor()))
        .build()
        .start();
  }

  int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    server.shutdownNow();
  }

  private static final class Service extends ExternalProcessorGrpc.ExternalProcessorImplBase {
    @Override
    public StreamObserver<ProcessingRequest> process(StreamObserver<ProcessingResponse> responses) {
      Optional<RemotePolicy> policy = RemotePolicy.current();
      return new StreamObserver<>() {
        @Override
        public void onNext(ProcessingRequest request) {
          ProcessingResponse.Builder answer = ProcessingResponse.newBuilder();
          switch (request.getRequestCase()) {
            case REQUEST_HEADERS -> answer.setRequestHeaders(HeadersResponse.getDefaultInstance());
            case RESPONSE_HEADERS -> answer.setResponseHeaders(HeadersResponse.newBuilder()
                .setResponse(CommonResponse.newBuilder().setHeaderMutation(HeaderMutation.newBuilder()
                    .addSetHeaders(header("x-policy", policy.map(p -> p.policyId() + "@" + p.version()).orElse("none")))
                    .addSetHeaders(header("x-policy-ttl", policy.flatMap(RemotePolicy::defaultTtl)
                        .map(ttl -> Long.toString(ttl.toSeconds())).orElse("none"))))));
            case RESPONSE_BODY -> answer.setResponseBody(BodyResponse.getDefaultInstance());
            case REQUEST_BODY -> answer.setRequestBody(BodyResponse.getDefaultInstance());
            default -> {
              responses.onCompleted();
              return;
            }
          }
          responses.onNext(answer.build());
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          responses.onCompleted();
        }
      };
    }
  }

  private static HeaderValueOption header(String name, String value) {
    return HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(name).setRawValue(ByteString.copyFrom(value, StandardCharsets.UTF_8)))
        .build();
  }
}
