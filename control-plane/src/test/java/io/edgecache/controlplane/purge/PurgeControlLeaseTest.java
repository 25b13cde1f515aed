package io.edgecache.controlplane.purge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.controlplane.config.EdgecacheConfig;
import io.edgecache.controlplane.config.PurgeSettings;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The purge side of a control plane that leads through a Lease, closed: the Lease is released
 * before the Kubernetes client it was held with is closed, so a standby takes over at once. No
 * Kubernetes API server can run here: the Lease lives in fabric8's mock API server (CRUD mode),
 * which {@link PurgeControl} reaches through the client's usual system-property configuration.
 */
@EnableKubernetesMockClient(crud = true)
class PurgeControlLeaseTest {

  private static final String NAMESPACE = "edgecache";
  private static final String LEASE = "purge-leader";

  KubernetesMockServer server;
  KubernetesClient client;

  @TempDir Path dir;

  private final Map<String, String> savedProperties = new HashMap<>();

  @BeforeEach
  void pointTheClientAtTheMockServer() {
    setProperty("kubernetes.master", server.url("/"));
    setProperty("kubernetes.auth.tryKubeConfig", "false");
    setProperty("kubernetes.auth.tryServiceAccount", "false");
    // the mock API server's self-signed certificate
    setProperty("kubernetes.trust.certificates", "true");
    setProperty("kubernetes.disable.hostname.verification", "true");
  }

  @AfterEach
  void restoreProperties() {
    savedProperties.forEach((key, value) -> {
      if (value == null) {
        System.clearProperty(key);
      } else {
        System.setProperty(key, value);
      }
    });
  }

  @Test
  void closingReleasesTheLeaseItHolds() throws Exception {
    PurgeSettings settings = new PurgeSettings(new EdgecacheConfig.HostPort("127.0.0.1", 0),
        dir.resolve("purge.log"), Duration.ofHours(1), Optional.empty(),
        new PurgeSettings.RateLimit(10, 20), List.of(), Optional.empty(),
        Optional.of(new PurgeSettings.Leader("cp-a", Optional.empty(),
            Optional.of(new PurgeSettings.Lease(NAMESPACE, LEASE, Duration.ofSeconds(3))))));
    PurgeControl control = PurgeControl.start(settings, Clock.systemUTC());
    try {
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      // Held and renewed once, as a leader in its steady state: a release right after the Lease
      // was created once left the mock server's Lease unchanged (not investigated further).
      while (lease() == null || !"cp-a".equals(lease().getSpec().getHolderIdentity())
          || lease().getSpec().getRenewTime().equals(lease().getSpec().getAcquireTime())) {
        assertTrue(System.nanoTime() < deadline, "cp-a holds and renews the Lease within 20 s: " + lease());
        Thread.sleep(20);
      }
      assertEquals(3, lease().getSpec().getLeaseDurationSeconds(), "held for the configured 3 s");
    } finally {
      control.close();
    }
    // fabric8 releases a Lease by shortening it to 1 s from now, through the client: had the
    // client been closed first, the Lease would still run for its 3 s.
    assertEquals(1, lease().getSpec().getLeaseDurationSeconds(), "released on close: " + lease());
  }

  private Lease lease() {
    return client.leases().inNamespace(NAMESPACE).withName(LEASE).get();
  }

  private void setProperty(String key, String value) {
    savedProperties.putIfAbsent(key, System.getProperty(key));
    System.setProperty(key, value);
  }
}
