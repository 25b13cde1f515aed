package io.edgecache.controlplane.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.config.ConfigException;
import io.edgecache.controlplane.SampleConfig;
import io.edgecache.controlplane.config.EdgecacheConfig.DiscoveryType;
import io.edgecache.controlplane.config.EdgecacheConfig.KubernetesService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A cluster may name a Kubernetes Service port instead of listing endpoints. */
class KubernetesClusterConfigTest {
  private static final String STATIC_ORIGIN = "    type: static\n    endpoints: [127.0.0.1:18080]\n";

  @TempDir Path dir;

  @Test
  void clusterNamingAServiceLoadsWithoutEndpoints() throws Exception {
    EdgecacheConfig config = load(
        "    kubernetes: {service: origin, namespace: shop, port: http}\n");
    EdgecacheConfig.ClusterSpec origin = config.clusters().get(0);
    assertEquals(DiscoveryType.KUBERNETES, origin.type());
    assertEquals(new KubernetesService("shop", "origin", "http"), origin.kubernetes().orElseThrow());
    assertEquals(List.of(), origin.endpoints());
    assertEquals("8080", load("    kubernetes: {service: origin, namespace: shop, port: 8080}\n")
        .clusters().get(0).kubernetes().orElseThrow().port());
  }

  @Test
  void badServiceFieldsAreRejectedWithFileLineAndField() {
    assertRejected("    kubernetes: {service: Origin_1, namespace: shop, port: http}\n",
        "clusters[0].kubernetes.service: expected a Kubernetes name");
    assertRejected("    kubernetes: {service: origin, port: http}\n",
        "clusters[0].kubernetes.namespace: required");
    assertRejected("    kubernetes: {service: origin, namespace: shop, port: http_port}\n",
        "clusters[0].kubernetes.port: expected a port name");
    assertRejected("    kubernetes: {service: origin, namespace: shop, port: http, ports: 1}\n",
        "clusters[0].kubernetes.ports: unknown field");
    assertRejected("    kubernetes: {service: origin, namespace: shop, port: http}\n    endpoints: [127.0.0.1:1]\n",
        "clusters[0].kubernetes: a cluster takes its endpoints from kubernetes or from type/endpoints");
  }

  private void assertRejected(String cluster, String message) {
    ConfigException e = assertThrows(ConfigException.class, () -> load(cluster));
    assertTrue(e.getMessage().contains(message), e.getMessage());
    assertTrue(e.getMessage().startsWith(dir.resolve("control-plane.yaml") + ":"), e.getMessage());
  }

  private EdgecacheConfig load(String cluster) throws Exception {
    String sample = SampleConfig.withoutPurge();
    assertTrue(sample.contains(STATIC_ORIGIN), "the sample's demo-origin cluster changed");
    Path file = dir.resolve("control-plane.yaml");
    Files.writeString(file, sample.replace(STATIC_ORIGIN, cluster));
    return ConfigLoader.load(file);
  }
}
