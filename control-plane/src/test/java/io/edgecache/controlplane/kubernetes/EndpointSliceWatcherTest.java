package io.edgecache.controlplane.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.controlplane.config.EdgecacheConfig.HostPort;
import io.edgecache.controlplane.config.EdgecacheConfig.KubernetesService;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * EndpointSlice discovery against fabric8's Kubernetes mock server in CRUD mode: no real API
 * server can run on a build machine, and the mock serves the real list/watch protocol the
 * informers use (objects created, updated and deleted through the client reach the watch).
 */
@EnableKubernetesMockClient(crud = true)
class EndpointSliceWatcherTest {
  private static final Duration DEADLINE = Duration.ofSeconds(10);
  static KubernetesClient client;

  private final KubernetesService http = new KubernetesService("shop", "origin", "http");
  private final KubernetesService byNumber = new KubernetesService("shop", "origin", "8080");
  private final Semaphore changes = new Semaphore(0);

  @Test
  void readyEndpointsOfTheNamedPortFollowCreateUpdateAndDelete() throws Exception {
    try (EndpointSliceWatcher watcher = new EndpointSliceWatcher(sharedClient(), changes::release)) {
      watcher.watch(Set.of(http, byNumber));
      assertEquals(List.of(), watcher.endpoints(http));

      EndpointSlice slice = client.discovery().v1().endpointSlices().inNamespace("shop")
          .resource(slice("origin-a", "10.0.0.1", true, "10.0.0.2", false)).create();
      awaitEndpoints(watcher, http, List.of(new HostPort("10.0.0.1", 8080)));
      assertEquals(List.of(new HostPort("10.0.0.1", 8080)), watcher.endpoints(byNumber));

      client.discovery().v1().endpointSlices().inNamespace("shop")
          .resource(slice("origin-a", "10.0.0.1", false, "10.0.0.2", true)).update();
      awaitEndpoints(watcher, http, List.of(new HostPort("10.0.0.2", 8080)));

      client.discovery().v1().endpointSlices().inNamespace("shop").resource(slice).delete();
      awaitEndpoints(watcher, http, List.of());
    }
  }

  @Test
  void slicesOfOtherServicesAndUnwatchedServicesAreIgnored() throws Exception {
    try (EndpointSliceWatcher watcher = new EndpointSliceWatcher(sharedClient(), changes::release)) {
      watcher.watch(Set.of(http));
      EndpointSlice other = new EndpointSliceBuilder(slice("other-a", "10.0.9.9", true, "10.0.9.8", true))
          .editMetadata().addToLabels(EndpointSliceWatcher.SERVICE_NAME_LABEL, "other").endMetadata()
          .build();
      client.discovery().v1().endpointSlices().inNamespace("shop").resource(other).create();
      client.discovery().v1().endpointSlices().inNamespace("shop")
          .resource(slice("origin-b", "10.0.1.1", true, "10.0.1.2", true)).create();
      awaitEndpoints(watcher, http, List.of(new HostPort("10.0.1.1", 8080), new HostPort("10.0.1.2", 8080)));

      watcher.watch(Set.of());
      assertEquals(List.of(), watcher.endpoints(http));
    }
  }

  @Test
  void unreachableApiServerLeavesTheServiceWithoutEndpointsAfterABoundedWait() {
    Supplier<KubernetesClient> unreachable = () -> new KubernetesClientBuilder()
        .withConfig(new ConfigBuilder().withMasterUrl("http://127.0.0.1:1").withRequestTimeout(1000)
            .withConnectionTimeout(1000).build())
        .build();
    try (EndpointSliceWatcher watcher = new EndpointSliceWatcher(unreachable, changes::release)) {
      long start = System.nanoTime();
      watcher.watch(Set.of(http));
      long waited = System.nanoTime() - start;
      assertTrue(waited < Duration.ofSeconds(15).toNanos(), "watch blocked " + waited / 1_000_000 + " ms");
      assertEquals(List.of(), watcher.endpoints(http));
    }
  }

  /** The watcher closes what the factory made; the test's client must outlive each test. */
  private static Supplier<KubernetesClient> sharedClient() {
    return () -> new KubernetesClientBuilder().withConfig(client.getConfiguration()).build();
  }

  private static EndpointSlice slice(String name, String first, boolean firstReady, String second,
      boolean secondReady) {
    return new EndpointSliceBuilder()
        .withNewMetadata().withName(name).withNamespace("shop")
        .addToLabels(EndpointSliceWatcher.SERVICE_NAME_LABEL, "origin").endMetadata()
        .withAddressType("IPv4")
        .addNewPort().withName("http").withPort(8080).withProtocol("TCP").endPort()
        .addNewEndpoint().withAddresses(first).withNewConditions().withReady(firstReady).endConditions().endEndpoint()
        .addNewEndpoint().withAddresses(second).withNewConditions().withReady(secondReady).endConditions().endEndpoint()
        .build();
  }

  private void awaitEndpoints(EndpointSliceWatcher watcher, KubernetesService service, List<HostPort> expected)
      throws InterruptedException {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (!watcher.endpoints(service).equals(expected)) {
      assertTrue(changes.tryAcquire(deadline - System.nanoTime(), TimeUnit.NANOSECONDS),
          "endpoints of " + service + " stayed " + watcher.endpoints(service) + ", expected " + expected);
    }
  }
}
