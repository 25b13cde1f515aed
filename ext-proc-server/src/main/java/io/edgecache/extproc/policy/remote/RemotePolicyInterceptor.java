package io.edgecache.extproc.policy.remote;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.protobuf.ByteString;
import io.edgecache.proto.policy.v1.RoutePolicyMetadata;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.Optional;

/**
 * Decodes the route policy the control plane puts in each ext_proc stream's initial metadata
 * ({@code ExtProcPerRoute.overrides.grpc_initial_metadata}) and makes it the stream's
 * {@link RemotePolicy#current()} while the stream starts:
 *
 * <pre>
 * x-edgecache-policy:     demo/default@5d41402a
 * x-edgecache-policy-bin: (edgecache.policy.v1.RoutePolicy; see RoutePolicyMetadata)
 * </pre>
 *
 * Decoded policies are cached by what arrived, so the per-stream cost is two metadata lookups
 * and a map hit. A stream without the metadata, or with a policy {@link RemotePolicyDecoder}
 * rejects (logged), has no remote policy. Install with
 * {@code ServerInterceptors.intercept(service, new RemotePolicyInterceptor())}.
 */
public final class RemotePolicyInterceptor implements ServerInterceptor {
  private static final Metadata.Key<String> IDENTITY =
      Metadata.Key.of(RoutePolicyMetadata.IDENTITY_KEY, Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<byte[]> POLICY =
      Metadata.Key.of(RoutePolicyMetadata.POLICY_KEY, Metadata.BINARY_BYTE_MARSHALLER);

  private final Cache<Pushed, Optional<RemotePolicy>> decoded = Caffeine.newBuilder().maximumSize(4096).build();

  /** The two metadata values of a stream, compared by content. */
  private record Pushed(String identity, ByteString policy) {}

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    byte[] policy = headers.get(POLICY); // absent on most streams: one scan of the metadata
    String identity = policy == null ? null : headers.get(IDENTITY);
    if (identity == null) {
      return next.startCall(call, headers);
    }
    Optional<RemotePolicy> remote = decoded.get(new Pushed(identity, ByteString.copyFrom(policy)),
        pushed -> RemotePolicyDecoder.decode(identity, policy));
    if (remote.isEmpty()) {
      return next.startCall(call, headers);
    }
    // Only the service's process() reads the policy (when the stream starts), so the context
    // holds it for startCall alone instead of being attached around every later callback.
    Context withPolicy = Context.current().withValue(RemotePolicy.CONTEXT_KEY, remote.get());
    Context previous = withPolicy.attach();
    try {
      return next.startCall(call, headers);
    } finally {
      withPolicy.detach(previous);
    }
  }
}
