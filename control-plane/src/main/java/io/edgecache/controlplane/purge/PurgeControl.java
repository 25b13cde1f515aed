package io.edgecache.controlplane.purge;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.edgecache.controlplane.config.PurgeSettings;
import io.edgecache.controlplane.leader.ConfiguredLeader;
import io.edgecache.controlplane.leader.LeaseLeadership;
import io.edgecache.controlplane.leader.PurgeLeadership;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
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
  /** The client the Lease is held with; null unless a Lease elects the leader. */
  private final KubernetesClient kubernetes;
  /** Ends purge streams that never say hello; see {@link PurgeStreamService}. */
  private final ScheduledThreadPoolExecutor helloDeadlines = helloDeadlines();

  private PurgeControl(PurgeCoordinator coordinator, PurgeAdmin admin, AdminHttpServer http, Warmer warmer,
      PurgeLeadership leadership, KubernetesClient kubernetes) {
    this.leadership = leadership;
    this.kubernetes = kubernetes;
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
    // Reached with the client's usual configuration (in-cluster service account, else kubeconfig).
    KubernetesClient kubernetes = settings.leader().flatMap(PurgeSettings.Leader::lease).isPresent()
        ? new KubernetesClientBuilder().build()
        : null;
    PurgeLeadership leadership;
    try {
      leadership = settings.leader().map(leader -> elect(leader, kubernetes, coordinator)).orElse(null);
    } catch (RuntimeException e) {
      leaveElection(null, kubernetes);
      coordinator.close();
      throw e;
    }
    Warmer warmer = settings.edge().map(Warmer::new).orElse(null);
    PurgeAdmin admin = new PurgeAdmin(coordinator, warmer, new Authenticator(settings.tokens()),
        new RateLimiter(settings.rateLimit(), System::nanoTime));
    AdminHttpServer http;
    try {
      http = new AdminHttpServer(
          new InetSocketAddress(settings.adminListen().host(), settings.adminListen().port()), admin);
    } catch (IOException e) {
      leaveElection(leadership, kubernetes);
      coordinator.close();
      if (warmer != null) {
        warmer.close();
      }
      throw new IOException("purge admin API cannot listen on " + settings.adminListen() + ": " + e.getMessage(), e);
    }
    // The stream key, not the Redis URI: a URI may carry a password.
    String store = settings.redisLog().map(redis -> "Redis stream " + redis.key())
        .orElse(settings.logPath().toString());
    log.info(() -> "purge log " + store + "; admin API on " + settings.adminListen().host() + ":"
        + http.port());
    return new PurgeControl(coordinator, admin, http, warmer, leadership, kubernetes);
  }

  /** Joins the election the settings name (a Lease through {@code kubernetes}); the coordinator follows it. */
  private static PurgeLeadership elect(PurgeSettings.Leader leader, KubernetesClient kubernetes,
      PurgeCoordinator coordinator) {
    PurgeLeadership leadership;
    if (leader.lease().isPresent()) {
      PurgeSettings.Lease lease = leader.lease().get();
      Duration duration = lease.duration();
      // Renew well inside the lease, retry often: fabric8's defaults keep these ratios.
      leadership = LeaseLeadership.start(kubernetes,
          new LeaseLeadership.Settings(lease.namespace(), lease.name(), duration,
              duration.multipliedBy(2).dividedBy(3), duration.dividedBy(5)),
          leader.identity(), coordinator);
    } else {
      leadership = new ConfiguredLeader(leader.identity(), leader.configured().orElseThrow(), coordinator);
    }
    coordinator.followLeadership(leadership);
    return leadership;
  }

  /**
   * Releases a held Lease (the standby takes over at once; fabric8 releases it before the
   * election's cancellation returns), then closes the client it was held with, its HTTP client
   * and threads.
   */
  private static void leaveElection(PurgeLeadership leadership, KubernetesClient kubernetes) {
    if (leadership != null) {
      leadership.close();
    }
    if (kubernetes != null) {
      kubernetes.close();
    }
  }

  /** The gRPC services to serve next to xDS: the nodes' purge stream and the admin API. */
  public List<ServerServiceDefinition> grpcServices() {
    BindableService stream =
        new PurgeStreamService(coordinator, helloDeadlines, PurgeStreamService.HELLO_WITHIN);
    return List.of(stream.bindService(), PurgeAdminService.definition(admin));
  }

  public PurgeCoordinator coordinator() {
    return coordinator;
  }

  private static ScheduledThreadPoolExecutor helloDeadlines() {
    ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1,
        new ThreadFactoryBuilder().setNameFormat("purge-hello-deadlines").setDaemon(true).build());
    // Nearly every deadline is cancelled by the hello: drop them at once instead of at expiry.
    timer.setRemoveOnCancelPolicy(true);
    return timer;
  }

  @Override
  public void close() {
    helloDeadlines.shutdownNow();
    leaveElection(leadership, kubernetes);
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
