package io.edgecache.extproc.grpc;

import io.edgecache.extproc.policy.remote.RemotePolicy;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.stub.StreamObserver;

/** Envoy's {@code ExternalProcessor} service: one {@link CacheExchange} per HTTP request. */
public final class ExtProcService extends ExternalProcessorGrpc.ExternalProcessorImplBase {

  private final ExchangeServices node;

  public ExtProcService(ExchangeServices node) {
    this.node = node;
  }

  @Override
  public StreamObserver<ProcessingRequest> process(StreamObserver<ProcessingResponse> out) {
    // The route's policy pushed by the control plane travels in the stream's metadata.
    RemotePolicy pushed = RemotePolicy.current().orElse(null);
    if (pushed != null) {
      node.pushedPolicies.seen(pushed);
    }
    return new CacheExchange(node, out, pushed);
  }
}
