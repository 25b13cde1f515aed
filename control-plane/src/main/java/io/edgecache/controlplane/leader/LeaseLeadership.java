package io.edgecache.controlplane.leader;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfig;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Logger;

/**
 * Leadership through a Kubernetes {@code coordination.k8s.io/v1} Lease, with fabric8's
 * {@code LeaderElector}: the holder renews it every retry period; a replica that stops renewing
 * (killed, partitioned) loses it after the lease duration and a standby takes it. Released on
 * {@link #close()}, so a rolling update hands over at once.
 *
 * @see <a href="https://kubernetes.io/docs/concepts/architecture/leases/">Leases</a>
 */
public final class LeaseLeadership implements PurgeLeadership {

  private static final Logger log = Logger.getLogger(LeaseLeadership.class.getName());

  /**
   * @param namespace and {@code name}: the Lease object
   * @param duration how long a lease lasts without renewal: a standby leads at most this long
   *     after the leader died (plus one retry period)
   */
  public record Settings(String namespace, String name, Duration duration, Duration renewDeadline,
      Duration retryPeriod) {}

  private final CompletableFuture<?> election;
  private volatile boolean leading;
  private volatile String leader;

  private LeaseLeadership(KubernetesClient client, Settings settings, String identity,
      Listener listener) {
    LeaderElectionConfig config = new LeaderElectionConfigBuilder()
        .withName(settings.name()) // the elector's name in fabric8's logs: the Lease's own
        .withLock(new LeaseLock(settings.namespace(), settings.name(), identity))
        .withLeaseDuration(settings.duration())
        .withRenewDeadline(settings.renewDeadline())
        .withRetryPeriod(settings.retryPeriod())
        .withReleaseOnCancel(true)
        .withLeaderCallbacks(new LeaderCallbacks(
            () -> {
              leading = true;
              log.info(() -> identity + " leads purge coordination (lease "
                  + settings.namespace() + "/" + settings.name() + ")");
              listener.startedLeading();
            },
            () -> {
              leading = false;
              log.warning(() -> identity + " no longer leads purge coordination");
              listener.stoppedLeading();
            },
            newLeader -> leader = newLeader))
        .build();
    this.election = client.leaderElector().withConfig(config).build().start();
  }

  /** Joins the election for the Lease in {@code settings} as {@code identity}. */
  public static LeaseLeadership start(KubernetesClient client, Settings settings, String identity,
      Listener listener) {
    return new LeaseLeadership(client, settings, identity, listener);
  }

  @Override
  public boolean isLeader() {
    return leading;
  }

  @Override
  public Optional<String> leader() {
    return Optional.ofNullable(leader);
  }

  @Override
  public void close() {
    election.cancel(true);
  }
}
