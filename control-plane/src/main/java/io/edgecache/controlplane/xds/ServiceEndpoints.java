package io.edgecache.controlplane.xds;

import io.edgecache.controlplane.config.EdgecacheConfig.HostPort;
import io.edgecache.controlplane.config.EdgecacheConfig.KubernetesService;
import java.util.List;

/** The endpoints a KUBERNETES cluster has right now (empty until known: Envoy then answers 503). */
@FunctionalInterface
public interface ServiceEndpoints {
  ServiceEndpoints NONE = service -> List.of();

  List<HostPort> endpoints(KubernetesService service);
}
