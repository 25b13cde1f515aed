package io.edgecache.controlplane.purge;

import io.edgecache.proto.purge.v1.ListRequest;
import io.edgecache.proto.purge.v1.PurgeAdminGrpc;
import io.edgecache.proto.purge.v1.PurgeList;
import io.edgecache.proto.purge.v1.PurgeRequest;
import io.edgecache.proto.purge.v1.PurgeStatus;
import io.edgecache.proto.purge.v1.StatusRequest;
import io.edgecache.proto.purge.v1.WarmProgress;
import io.edgecache.proto.purge.v1.WarmRequest;
import io.edgecache.proto.purge.v1.WarmStatusRequest;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * The gRPC face of {@link PurgeAdmin}; the bearer token travels in the {@code authorization}
 * metadata and refusals carry the matching gRPC status (UNAUTHENTICATED, PERMISSION_DENIED,
 * INVALID_ARGUMENT, RESOURCE_EXHAUSTED, NOT_FOUND). Failed authentications are limited per
 * peer address as on REST ({@link PurgeAdmin#admit}); edge PURGEs a cache node relays count
 * against that node.
 */
final class PurgeAdminService extends PurgeAdminGrpc.PurgeAdminImplBase {

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<String> CALLER_AUTHORIZATION = Context.key("authorization");
  /** The peer's address: failed authentications are limited per source, as on REST. */
  private static final Context.Key<String> CALLER_SOURCE = Context.key("source");

  private final PurgeAdmin admin;

  private PurgeAdminService(PurgeAdmin admin) {
    this.admin = admin;
  }

  /** The service, with the interceptor that hands each call its authorization metadata. */
  static ServerServiceDefinition definition(PurgeAdmin admin) {
    ServerInterceptor authorization = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        SocketAddress peer = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
        String source = peer instanceof InetSocketAddress address
            ? address.getAddress().getHostAddress() : String.valueOf(peer);
        Context context = Context.current()
            .withValue(CALLER_AUTHORIZATION, headers.get(AUTHORIZATION))
            .withValue(CALLER_SOURCE, source);
        return Contexts.interceptCall(context, call, headers, next);
      }
    };
    return ServerInterceptors.intercept(new PurgeAdminService(admin), authorization);
  }

  private interface Call<T> {
    T run(String authorization) throws AdminError;
  }

  private <T> void answer(StreamObserver<T> responses, Call<T> call) {
    try {
      admin.admit(CALLER_AUTHORIZATION.get(), CALLER_SOURCE.get());
      T reply = call.run(CALLER_AUTHORIZATION.get());
      responses.onNext(reply);
      responses.onCompleted();
    } catch (AdminError e) {
      responses.onError(e.grpcStatus().asRuntimeException());
    }
  }

  @Override
  public void submit(PurgeRequest request, StreamObserver<PurgeStatus> responses) {
    answer(responses, auth -> admin.submit(auth, request));
  }

  @Override
  public void status(StatusRequest request, StreamObserver<PurgeStatus> responses) {
    answer(responses, auth -> admin.status(auth, request.getPurgeId()));
  }

  @Override
  public void list(ListRequest request, StreamObserver<PurgeList> responses) {
    answer(responses, auth -> PurgeList.newBuilder()
        .addAllPurges(admin.list(auth, request.getLimit())).build());
  }

  @Override
  public void warm(WarmRequest request, StreamObserver<WarmProgress> responses) {
    answer(responses, auth -> admin.warm(auth, request));
  }

  @Override
  public void warmStatus(WarmStatusRequest request, StreamObserver<WarmProgress> responses) {
    answer(responses, auth -> admin.warmStatus(auth, request.getWarmId()));
  }
}
