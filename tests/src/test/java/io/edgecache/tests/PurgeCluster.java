package io.edgecache.tests;

import io.edgecache.controlplane.ControlPlane;
import io.edgecache.extproc.CacheNode;
import io.edgecache.extproc.config.PurgeConfig;
import io.edgecache.extproc.config.RoutePolicy;
import io.edgecache.extproc.config.ServerConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A control plane with purge coordination on fixed loopback ports (so it can be restarted where
 * the nodes expect it) and the configuration cache nodes need to follow it. Tokens: {@link #ADMIN}
 * (every host), {@link #TENANT} (host {@code tenant.example} only).
 */
final class PurgeCluster implements AutoCloseable {

  static final String ADMIN = "admin-token-0123456789abcdef";
  static final String TENANT = "tenant-token-0123456789abcdef";

  final Path dir;
  /** The {@code extProc} and origin-cluster lines of the configuration. */
  private final String routing;
  /** The sites, listeners and node groups of the configuration. */
  private final String site;
  final int xdsPort;
  final int adminPort;
  ControlPlane controlPlane;
  /** While stopped: the ports, kept for {@link #start()} (see {@link LoopbackPorts#reserve}). */
  private final List<Socket> reserved = new ArrayList<>();

  /** The {@code extProc} and origin-cluster lines when no test routes traffic through the control plane. */
  static final String DEFAULT_ORIGIN = """
      extProc: {address: 127.0.0.1:50051}
      clusters:
        - {name: origin, endpoints: [127.0.0.1:18080]}
      """;

  /** One catch-all site on one listener, for node group {@code edge-gateway}. */
  static final String ONE_SITE = oneSite("[{name: default, match: {prefix: /}, cluster: origin}]");

  /** One site with {@code routes} (YAML flow style, cluster {@code origin}) on one listener, for node group {@code edge-gateway}. */
  static String oneSite(String routes) {
    return """
        sites:
          - name: all
            domains: ["*"]
            routes: %s
        listeners:
          - {name: edge, address: 127.0.0.1:10000, sites: [all]}
        nodeGroups:
          - {name: edge-gateway, listeners: [edge]}
        """.formatted(routes);
  }

  PurgeCluster(Path dir) throws Exception {
    this(dir, DEFAULT_ORIGIN, ONE_SITE);
  }

  /**
   * A control plane whose routes lead to {@code originAddress}, for local-edges that take their
   * routes from it over ADS; the ext_proc timers are stretched as in {@link EdgeStack}.
   */
  static PurgeCluster routingTo(Path dir, String originAddress) throws Exception {
    return routingTo(dir, originAddress, ONE_SITE);
  }

  /** As {@link #routingTo(Path, String)}, with {@code site} (see {@link #oneSite}) instead of {@link #ONE_SITE}. */
  static PurgeCluster routingTo(Path dir, String originAddress, String site) throws Exception {
    return new PurgeCluster(dir, """
        extProc: {address: 127.0.0.1:50051, messageTimeout: 5s, maxMessageTimeout: 60s}
        clusters:
          - {name: origin, endpoints: [%s]}
        """.formatted(originAddress), site);
  }

  private PurgeCluster(Path dir, String routing, String site) throws Exception {
    this.dir = dir;
    this.routing = routing;
    this.site = site;
    // Both ports are fixed up front: the configuration names the admin port (port 0 is
    // refused), and a restart must come back on the xDS port the nodes were given.
    Started started = LoopbackPorts.retryOnClash(() -> {
      int[] ports = LoopbackPorts.probe(2);
      write(ports[1], "");
      return new Started(ports[0], ports[1], startOn(ports[0]));
    });
    this.xdsPort = started.xdsPort();
    this.adminPort = started.adminPort();
    this.controlPlane = started.controlPlane();
  }

  private record Started(int xdsPort, int adminPort, ControlPlane controlPlane) {}

  /** Writes the configuration, with {@code extraPurgeYaml} added to its purge section. */
  void configure(String extraPurgeYaml) throws Exception {
    write(adminPort, extraPurgeYaml);
  }

  private void write(int admin, String extraPurgeYaml) throws Exception {
    Files.writeString(dir.resolve("control-plane.yaml"), routing + site + """
        purge:
          adminListen: 127.0.0.1:%d
          log: purge.log
          retention: 1h
          rateLimit: {perSecond: 1000, burst: 1000}
          tokens:
            - {name: ops, token: %s}
            - {name: tenant, token: %s, hosts: [tenant.example]}
          %s
        """.formatted(admin, ADMIN, TENANT, extraPurgeYaml));
  }

  /** (Re)starts the control plane on the same ports and purge log. */
  void start() throws Exception {
    controlPlane = startOn(xdsPort);
    release();
  }

  private ControlPlane startOn(int xds) throws Exception {
    return ControlPlane.start(dir.resolve("control-plane.yaml"), new InetSocketAddress("127.0.0.1", xds));
  }

  /** Stops the control plane, keeping its ports from other sockets until it starts again. */
  void stop() {
    controlPlane.close();
    for (int port : new int[] {xdsPort, adminPort}) {
      try {
        reserved.add(LoopbackPorts.reserve(port));
      } catch (IOException e) {
        // Still closing: unreserved, the port is merely back to how a restart always found it.
      }
    }
  }

  private void release() {
    for (Socket socket : reserved) {
      try {
        socket.close();
      } catch (IOException e) {
        // an unconnected socket: nothing to flush, its port is freed either way
      }
    }
    reserved.clear();
  }

  PurgeAdminClient admin() {
    return new PurgeAdminClient(adminPort);
  }

  /** A cache node configuration following this control plane as {@code nodeId}; PURGE allowed. */
  ServerConfig nodeConfig(String nodeId) {
    return nodeConfig(xdsPort, nodeId);
  }

  /** A cache node configuration following the control plane on {@code xdsPort} as {@code nodeId}. */
  static ServerConfig nodeConfig(int xdsPort, String nodeId) {
    PurgeConfig defaults = PurgeConfig.defaults();
    return ServerConfig.defaults()
        .withRoutes(List.of(RoutePolicy.builder().purgeRequests(true).build()))
        .withPurge(new PurgeConfig(
        InetSocketAddress.createUnresolved("127.0.0.1", xdsPort), nodeId, "edge-gateway",
        defaults.surrogateKeyField(), defaults.cacheTagField(), defaults.ruleRetention(),
        defaults.staleGrace(), List.of()));
  }

  /** Waits until the node has replayed the purge log and serves hits. */
  static void awaitServingHits(EdgeStack node) throws InterruptedException {
    awaitServingHits(node.server.node());
  }

  static void awaitServingHits(CacheNode node) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!node.servesHits()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("node never caught up with the purge log");
      }
      Thread.sleep(5);
    }
  }

  @Override
  public void close() {
    controlPlane.close();
    release();
  }
}
