package io.edgecache.extproc.grpc;

import io.edgecache.extproc.policy.remote.RemotePolicy;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;

/**
 * Envoy's {@code ExternalProcessor} service: one {@link CacheExchange} per HTTP request. Bound
 * with the generated method's name and request marshaller, and {@link OutboundMarshaller} for
 * responses, so a hit can be sent from its stored bytes ({@link HitWire}).
 */
public final class ExtProcService implements BindableService {

  private static final MethodDescriptor<ProcessingRequest, Outbound> PROCESS =
      ExternalProcessorGrpc.getProcessMethod().toBuilder(
              ProtoUtils.marshaller(ProcessingRequest.getDefaultInstance()),
              new OutboundMarshaller())
          .build();

  private final ExchangeServices services;

  public ExtProcService(ExchangeServices services) {
    this.services = services;
  }

  @Override
  public ServerServiceDefinition bindService() {
    ServiceDescriptor service = ServiceDescriptor.newBuilder(ExternalProcessorGrpc.SERVICE_NAME)
        .setSchemaDescriptor(ExternalProcessorGrpc.getServiceDescriptor().getSchemaDescriptor())
        .addMethod(PROCESS)
        .build();
    return ServerServiceDefinition.builder(service)
        .addMethod(PROCESS, ServerCalls.asyncBidiStreamingCall(this::process))
        .build();
  }

  private StreamObserver<ProcessingRequest> process(StreamObserver<Outbound> out) {
    // Envoy ends every stream with a half-close and a reset (client_impl.cc,
    // ExternalProcessorStreamImpl::close). An answer being sent from a continuation as the reset
    // lands must be dropped: without a cancel handler grpc-java throws from it instead. The
    // exchange itself ends on the half-close (onCompleted) or, without one, on onError.
    ((ServerCallStreamObserver<Outbound>) out).setOnCancelHandler(() -> { });
    // The route's policy pushed by the control plane travels in the stream's metadata.
    RemotePolicy pushed = RemotePolicy.current().orElse(null);
    if (pushed != null) {
      services.pushedPolicies.seen(pushed);
    }
    return new CacheExchange(services, out, pushed);
  }
}
