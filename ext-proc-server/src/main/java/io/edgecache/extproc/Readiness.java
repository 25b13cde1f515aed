package io.edgecache.extproc;

import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.grpc.BindableService;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Whether the node takes traffic, told two ways: gRPC health checking on the ext_proc port (Envoy's
 * health checks, the kubelet's gRPC probe) and, for probes that cannot reach that port (it
 * requires a client certificate with mTLS), a reason on the admin port's {@code /readyz}. A node
 * starts NOT_SERVING, serves once its shared tiers' connections are made, and stops serving for
 * good when it drains.
 */
final class Readiness {

  static final String STARTING = "starting: connecting to the shared tiers";
  static final String DRAINING = "draining";

  private final HealthStatusManager health = new HealthStatusManager();
  /** Why the node takes no traffic now; null while it does. */
  private final AtomicReference<String> unavailableBecause = new AtomicReference<>(STARTING);

  Readiness() {
    report(ServingStatus.NOT_SERVING);
  }

  BindableService healthService() {
    return health.getHealthService();
  }

  /** Null while serving, else why not (the admin port's {@code /readyz} answers 503 with it). */
  String unavailableBecause() {
    return unavailableBecause.get();
  }

  /** Starts serving, unless the node began draining meanwhile. */
  void serving() {
    if (unavailableBecause.compareAndSet(STARTING, null)) {
      report(ServingStatus.SERVING);
    }
  }

  /** Stops serving for good: health checks hear NOT_SERVING from now on. */
  void draining() {
    unavailableBecause.set(DRAINING);
    health.enterTerminalState();
  }

  /** Sets the whole server's status and the ext_proc service's, which probes may name. */
  private void report(ServingStatus status) {
    health.setStatus("", status);
    health.setStatus(ExternalProcessorGrpc.SERVICE_NAME, status);
  }
}
