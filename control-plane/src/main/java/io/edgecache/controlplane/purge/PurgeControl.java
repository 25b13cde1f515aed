package io.edgecache.controlplane.purge;

import io.edgecache.controlplane.config.PurgeSettings;
import io.edgecache.controlplane.leader.ConfiguredLeader;
import io.edgecache.controlplane.leader.LeaseLeadership;
import io.edgecache.controlplane.leader.PurgeLeadership;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.logging.Logger;

/**
 * The control plane's purge side, assembled from its settings: the coordinator and its log,
 * the admin API (REST on its own port; gRPC services to add to the control plane's server), and
 * warming.
 */
public final class PurgeControl implements AutoCloseable {

  private static final Logger log = Logger.getLogger(PurgeControl.class.getName());

  private final PurgeCoordinator coordinator;
  private final PurgeAdmin admin;
  private final AdminHttpServer http;
  private final Warmer warmer;
  /** Null for the only replica. */
  private final PurgeLeadership leadership;

  private PurgeControl(PurgeCoordinator coordinator, PurgeAdmin admin, AdminHttpServer http, Warmer warmer,
      PurgeLeadership leadership) {
    this.leadership = leadership;
    this.coordinator = coordinator;
    this.admin = admin;
    this.http = http;
    this.warmer = warmer;
  }

  /** Reopens the purge log and starts the REST admin API. */
  public static PurgeControl start(PurgeSettings settings, Clock clock) throws IOException {
    PurgeCoordinator coordinator = settings.redisLog().isEmpty()
        ? PurgeCoordinator.open(settings.logPath(), settings.retention(), clock)
        : PurgeCoordinator.over(RedisStreamPurgeLog.open(settings.redisLog().get(), settings.retention(),
            clock), clock);
    PurgeLeadership leadership = settings.leader()
        .map(leader -> elect(leader, coordinator))
        .orElse(null);
    Warmer warmer = settings.edge().map(Warmer::new).orElse(null);
    PurgeAdmin admin = new PurgeAdmin(coordinator, warmer, new Authenticator(settings.tokens()),
        new RateLimiter(settings.rateLimit(), System::nanoTime));
    AdminHttpServer http;
    try {
      http = new AdminHttpServer(
          new InetSocketAddress(settings.adminListen().host(), settings.adminListen().port()), admin);
    } catch (IOException e) {
      if (leadership != null) {
        leadership.close();
      }
      coordinator.close();
      if (warmer != null) {
        warmer.close();
      }
      throw new IOException("purge admin API cannot listen on " + settings.adminListen() + ": " + e.getMessage(), e);
    }
    log.info(() -> "purge log " + settings.logPath() + "; admin API on " + settings.adminListen().host() + ":"
        + http.port());
    return new PurgeControl(coordinator, admin, http, warmer, leadership);
  }

  /**
   * Joins the election the settings name; the coordinator follows it. A Lease is reached with
   * the Kubernetes client's usual configuration (in-cluster service account, else kubeconfig).
   */
  private static PurgeLeadership elect(PurgeSettings.Leader leader, PurgeCoordinator coordinator) {
    PurgeLeadership leadership;
    if (leader.lease().isPresent()) {
      PurgeSettings.Lease lease = leader.lease().get();
      Duration duration = lease.duration();
      // Renew well inside the lease, retry often: fabric8's defaults keep these ratios.
      leadership = LeaseLeadership.start(new KubernetesClientBuilder().build(),
          new LeaseLeadership.Settings(lease.namespace(), lease.name(), duration,
              duration.multipliedBy(2).dividedBy(3), duration.dividedBy(5)),
          leader.identity(), coordinator);
    } else {
      leadership = new ConfiguredLeader(leader.identity(), leader.configured().orElseThrow(), coordinator);
    }
    coordinator.followLeadership(leadership);
    return leadership;
  }

  /** The gRPC services to serve next to xDS: the nodes' purge stream and the admin API. */
  public List<ServerServiceDefinition> grpcServices() {
    BindableService stream = new PurgeStreamService(coordinator);
    return List.of(stream.bindService(), PurgeAdminService.definition(admin));
  }

  public PurgeCoordinator coordinator() {
    return coordinator;
  }

  @Override
  public void close() {
    if (leadership != null) {
      leadership.close(); // releases a Lease: the standby takes over at once
    }
    http.close();
    if (warmer != null) {
      warmer.close();
    }
    try {
      coordinator.close();
    } catch (IOException e) {
      log.warning(() -> "closing the purge log: " + e.getMessage());
    }
  }
}
