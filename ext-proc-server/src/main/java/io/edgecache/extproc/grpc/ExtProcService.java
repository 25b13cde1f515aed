package io.edgecache.extproc.grpc;

import io.edgecache.extproc.policy.remote.RemotePolicy;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.stub.StreamObserver;

/** Envoy's {@code ExternalProcessor} service: one {@link CacheExchange} per HTTP request. */
public final class ExtProcService extends ExternalProcessorGrpc.ExternalProcessorImplBase {

  private final ExchangeServices services;

  public ExtProcService(ExchangeServices services) {
    this.services = services;
  }

  @Override
  public StreamObserver<ProcessingRequest> process(StreamObserver<ProcessingResponse> out) {
    // The route's policy pushed by the control plane travels in the stream's metadata.
    RemotePolicy pushed = RemotePolicy.current().orElse(null);
    if (pushed != null) {
      services.pushedPolicies.seen(pushed);
    }
    return new CacheExchange(services, out, pushed);
  }
}
