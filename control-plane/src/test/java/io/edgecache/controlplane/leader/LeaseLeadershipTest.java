package io.edgecache.controlplane.leader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two replicas electing a purge leader through a Lease. No Kubernetes API server can run here:
 * the Lease lives in fabric8's mock API server in CRUD mode, which stores and versions objects
 * as the API server does; the election is fabric8's real LeaderElector.
 */
@EnableKubernetesMockClient(crud = true)
class LeaseLeadershipTest {

  KubernetesMockServer server;
  KubernetesClient client;

  private static final LeaseLeadership.Settings SETTINGS = new LeaseLeadership.Settings(
      "edgecache", "purge-leader", Duration.ofSeconds(2), Duration.ofMillis(1500),
      Duration.ofMillis(200));

  /** Counts the callbacks a replica gets. */
  private static final class Events implements PurgeLeadership.Listener {
    final CountDownLatch started = new CountDownLatch(1);
    final CountDownLatch stopped = new CountDownLatch(1);

    @Override
    public void startedLeading() {
      started.countDown();
    }

    @Override
    public void stoppedLeading() {
      stopped.countDown();
    }
  }

  @Test
  void oneLeadsTheOtherKnowsWhoAndTakesOverWhenTheLeaderLeaves() throws Exception {
    Events first = new Events();
    Events second = new Events();
    try (LeaseLeadership a = LeaseLeadership.start(client, SETTINGS, "cp-a", first)) {
      assertTrue(first.started.await(60, TimeUnit.SECONDS), "cp-a leads an unheld lease");
      try (LeaseLeadership b = LeaseLeadership.start(client, SETTINGS, "cp-b", second)) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (b.leader().isEmpty() && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        assertEquals(Optional.of("cp-a"), b.leader());
        assertFalse(b.isLeader());
        a.close(); // releases the lease
        assertTrue(first.stopped.await(10, TimeUnit.SECONDS));
        assertTrue(second.started.await(10, TimeUnit.SECONDS), "cp-b takes over");
        assertTrue(b.isLeader());
        assertEquals("cp-b", client.leases().inNamespace("edgecache").withName("purge-leader").get()
            .getSpec().getHolderIdentity());
      }
    }
  }
}
