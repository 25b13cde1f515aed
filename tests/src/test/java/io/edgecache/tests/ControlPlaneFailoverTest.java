package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.edgecache.controlplane.ControlPlane;
import io.edgecache.controlplane.ControlPlaneMain;
import io.edgecache.extproc.ExtProcServer;
import io.edgecache.extproc.config.PurgeConfig;
import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.telemetry.Telemetry;
import io.edgecache.extproc.testing.RedisServer;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two control-plane replicas (each its own JVM, so the active one can be killed with SIGKILL)
 * sharing a purge log in a real {@code redis-server} running with {@code appendonly yes} and
 * {@code appendfsync always}, leadership through a Kubernetes Lease. No Kubernetes API server
 * can run here, so the Lease lives in fabric8's mock API server in CRUD mode (it stores and
 * versions objects as the API server does); everything else is real: the replicas' fabric8
 * LeaderElector, Redis, the purge streams and the admin API.
 */
@EnableKubernetesMockClient(crud = true)
class ControlPlaneFailoverTest {

  private static final String NAMESPACE = "edgecache";
  private static final String LEASE = "edgecache-purge-leader";
  private static final Duration FAILOVER_BOUND = Duration.ofSeconds(5);
  private static final Pattern READY = Pattern.compile("serving xDS \\(ADS\\) on [^:]+:(\\d+)");

  KubernetesMockServer server;
  KubernetesClient client;

  @TempDir Path dir;

  private RedisServer redis;
  private final List<ChildJvm> replicas = new ArrayList<>();
  private ExtProcServer node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
    replicas.forEach(ChildJvm::close);
    if (redis != null) {
      redis.close();
    }
  }

  @Test
  void activeKilledStandbyLeadsWithin5sAndThePurgeAcceptedJustBeforeCompletesOnceInOrder()
      throws Exception {
    Files.createDirectories(dir.resolve("redis"));
    redis = RedisServer.startDurable(dir.resolve("redis"));
    Replica a = replica("cp-a");
    awaitLeader("cp-a", Duration.ofSeconds(90)); // a JVM start and a first API call: slow on a loaded machine
    Replica b = replica("cp-b");
    PurgeAdminClient adminA = a.admin();
    PurgeAdminClient adminB = b.admin();
    node = followBoth(a.xdsPort(), b.xdsPort());
    Poll.until("the node follows the leader's purge stream", Duration.ofSeconds(20),
        () -> AdminStats.of(node).at("/purge/servingHits").asBoolean());

    String first = adminA.purge(PurgeCluster.ADMIN, "{\"kind\":\"TAG\",\"value\":\"one\"}");
    adminA.awaitComplete(PurgeCluster.ADMIN, first, Duration.ofSeconds(20));
    PurgeAdminClient.Reply refused = adminB.post("/purges", PurgeCluster.ADMIN,
        "{\"kind\":\"TAG\",\"value\":\"refused\"}");
    assertEquals(503, refused.status());
    assertTrue(refused.error().contains("the leader is cp-a"), refused.error());

    // Accepted (logged in Redis, 202) just before the crash: nodes may or may not have it.
    String last = adminA.purge(PurgeCluster.ADMIN, "{\"kind\":\"TAG\",\"value\":\"two\"}");
    long killed = System.nanoTime();
    a.jvm().kill();
    awaitLeader("cp-b", FAILOVER_BOUND.plusSeconds(10));
    double failoverMs = (System.nanoTime() - killed) / 1e6;

    JsonNode status = adminB.awaitComplete(PurgeCluster.ADMIN, last, Duration.ofSeconds(20));
    long reconnectedMs = (System.nanoTime() - killed) / 1_000_000;
    assertEquals("node-1", status.get("ackedNodes").get(0).asText());
    JsonNode log = adminB.get("/purges?limit=10", PurgeCluster.ADMIN).body().get("purges");
    assertEquals(2, log.size(), "each accepted purge once, the refused one not at all: " + log);
    assertEquals(List.of(last, first), List.of(log.get(0).get("purgeId").asText(),
        log.get(1).get("purgeId").asText()), "newest first, in submission order");
    assertEquals(2, AdminStats.of(node).at("/purge/lastAppliedSeq").asLong(),
        "the node applied both, in order");
    System.out.printf("control-plane failover: standby cp-b leads %.0f ms after cp-a was killed"
        + " (lease 3 s); the purge accepted just before the kill complete on node-1 %d ms after%n",
        failoverMs, reconnectedMs);
    assertTrue(failoverMs <= FAILOVER_BOUND.toMillis(), "standby led after " + failoverMs + " ms");
  }

  @Test
  void aRedisThatCouldLoseAnAcknowledgedPurgeIsRefusedAtStart() throws Exception {
    redis = RedisServer.start(); // appendonly no
    // Refused before the admin API binds its port, so a port lost meanwhile changes nothing.
    Path config = write("cp-a", LoopbackPorts.probe());
    IOException refused = assertThrows(IOException.class,
        () -> ControlPlane.start(config, new InetSocketAddress("127.0.0.1", 0)).close());
    assertTrue(refused.getMessage().contains("appendonly=no")
        && refused.getMessage().contains("set appendonly yes and appendfsync always"),
        refused.getMessage());
  }

  /** A running replica: its JVM, its xDS port and its admin API. */
  private record Replica(ChildJvm jvm, int xdsPort, PurgeAdminClient admin) {}

  /**
   * Starts a replica on probed xDS and admin ports (both go on its command line and in its
   * configuration), again on new ones when another socket took one first.
   */
  private Replica replica(String identity) throws Exception {
    Replica replica = LoopbackPorts.retryOnClash(() -> {
      int[] ports = LoopbackPorts.probe(2);
      return new Replica(startReplica(identity, ports[0], ports[1]), ports[0],
          new PurgeAdminClient(ports[1]));
    });
    replicas.add(replica.jvm());
    return replica;
  }

  private ChildJvm startReplica(String identity, int xdsPort, int adminPort) throws Exception {
    Path config = write(identity, adminPort);
    return ChildJvm.start(ControlPlaneMain.class.getName(), List.of(
            "-Xmx256m",
            "-Dkubernetes.master=" + server.url("/"),
            "-Dkubernetes.auth.tryKubeConfig=false",
            "-Dkubernetes.auth.tryServiceAccount=false",
            // the mock API server's self-signed certificate
            "-Dkubernetes.trust.certificates=true",
            "-Dkubernetes.disable.hostname.verification=true",
            "-Dkubernetes.namespace=" + NAMESPACE),
        READY, "--config", config.toString(), "--listen", "127.0.0.1:" + xdsPort,
        "--metrics", "off");
  }

  /** One replica's configuration: the same but for its identity and admin port. */
  private Path write(String identity, int adminPort) throws IOException {
    Path file = dir.resolve(identity + ".yaml");
    Files.writeString(file, PurgeCluster.DEFAULT_ORIGIN + PurgeCluster.ONE_SITE + """
        purge:
          adminListen: 127.0.0.1:%d
          rateLimit: {perSecond: 1000, burst: 1000}
          tokens:
            - {name: ops, token: %s}
          redis: {uri: "%s", key: edgecache-test:purge-log}
          leader:
            identity: %s
            lease: {namespace: %s, name: %s, duration: 3s}
        """.formatted(adminPort, PurgeCluster.ADMIN, redis.uri(), identity, NAMESPACE, LEASE));
    return file;
  }

  /** A cache node whose purge stream tries cp-a, then cp-b. */
  private static ExtProcServer followBoth(int xdsA, int xdsB) throws IOException {
    PurgeConfig defaults = PurgeConfig.defaults();
    ServerConfig config = ServerConfig.defaults()
        .withListen(new InetSocketAddress("127.0.0.1", 0))
        .withAdminListen(new InetSocketAddress("127.0.0.1", 0))
        .withPurge(new PurgeConfig(InetSocketAddress.createUnresolved("127.0.0.1", xdsA), "node-1",
            "edge-gateway", defaults.surrogateKeyField(), defaults.cacheTagField(),
            defaults.ruleRetention(), defaults.staleGrace(),
            List.of(InetSocketAddress.createUnresolved("127.0.0.1", xdsB))));
    return ExtProcServer.start(config, Clock.systemUTC(), Telemetry.disabled(), "test");
  }

  private void awaitLeader(String identity, Duration within) throws InterruptedException {
    try {
      Poll.until(identity + " holds the Lease", within, () -> {
        Lease lease = client.leases().inNamespace(NAMESPACE).withName(LEASE).get();
        return lease != null && identity.equals(lease.getSpec().getHolderIdentity());
      });
    } catch (AssertionError e) {
      StringBuilder outputs = new StringBuilder(e.getMessage());
      replicas.forEach(replica -> outputs.append("\n--- replica output:\n").append(replica.output()));
      throw new AssertionError(outputs.toString(), e);
    }
  }
}
