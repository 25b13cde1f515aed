package io.edgecache.controlplane;

import io.edgecache.controlplane.metrics.ControlPlaneMetrics;
import io.edgecache.controlplane.metrics.PurgeMetrics;
import io.edgecache.config.ConfigException;
import io.edgecache.controlplane.config.ConfigLoader;
import io.edgecache.controlplane.config.ConfigWatcher;
import io.edgecache.controlplane.config.EdgecacheConfig;
import io.edgecache.controlplane.config.EdgecacheConfig.ClusterSpec;
import io.edgecache.controlplane.config.EdgecacheConfig.KubernetesService;
import io.edgecache.controlplane.kubernetes.EndpointSliceWatcher;
import io.edgecache.controlplane.config.PurgeSettings;
import io.edgecache.controlplane.config.PurgeSettingsLoader;
import io.edgecache.controlplane.config.SecuritySettings;
import io.edgecache.controlplane.config.SecuritySettingsLoader;
import io.edgecache.controlplane.identity.NodeGuard;
import io.edgecache.controlplane.purge.PurgeControl;
import io.edgecache.controlplane.xds.NackHoldback;
import io.edgecache.controlplane.xds.NackListener;
import io.edgecache.controlplane.xds.NodeGroups;
import io.edgecache.controlplane.xds.SnapshotPublisher;
import io.edgecache.proto.purge.v1.PurgeStreamGrpc;
import io.edgecache.security.PlaintextWarning;
import io.edgecache.security.ReloadingTls;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.logging.Logger;

/**
 * A running control plane: serves xDS (ADS state-of-the-world and delta, plus the per-type
 * services) from one snapshot per node group, built from a YAML file or directory that is
 * watched and hot-reloaded. An invalid edit is rejected with its file, line and field, and the
 * last good snapshots keep serving.
 */
public final class ControlPlane implements AutoCloseable {
  private static final Logger log = Logger.getLogger(ControlPlane.class.getName());
  private static final Duration DEBOUNCE = Duration.ofMillis(50);

  /** The result of one (re)load: the version now served, and the rejection message if any. */
  public record Reload(boolean accepted, String version, String error) {}

  private final Path source;
  private final SnapshotPublisher publisher;
  private final NackListener nacks;
  private final Server server;
  /** Purge coordination and its admin API; null when the configuration has no purge section. */
  private final PurgeControl purge;
  private final List<Consumer<Reload>> reloadListeners = new CopyOnWriteArrayList<>();
  private volatile String version;
  private ConfigWatcher watcher;
  private final ControlPlaneMetrics metrics;
  private final EndpointSliceWatcher endpointSlices;

  /** Node identity binding on the xDS and purge streams. */
  private final NodeGuard nodeGuard;
  /** The server's reloading mTLS credentials; null when serving plaintext. */
  private final ReloadingTls tls;

  private ControlPlane(Path source, SnapshotPublisher publisher, NackListener nacks, Server server,
      PurgeControl purge, String version, ControlPlaneMetrics metrics,
      EndpointSliceWatcher endpointSlices, NodeGuard nodeGuard, ReloadingTls tls) {
    this.metrics = metrics;
    this.nodeGuard = nodeGuard;
    this.tls = tls;
    this.source = source;
    this.publisher = publisher;
    this.nacks = nacks;
    this.server = server;
    this.purge = purge;
    this.version = version;
    this.endpointSlices = endpointSlices;
  }

  /**
   * Loads {@code source} (it must be valid: there is no last good snapshot yet), starts serving
   * xDS on {@code listen} and starts watching {@code source} for changes. Clusters that name a
   * Kubernetes Service watch its EndpointSlices through a client configured as fabric8 finds it
   * (in a pod: its service account; elsewhere: the kubeconfig).
   */
  public static ControlPlane start(Path source, InetSocketAddress listen) throws ConfigException, IOException {
    return start(source, listen, () -> new KubernetesClientBuilder().build());
  }

  /** As {@link #start(Path, InetSocketAddress)}, with the Kubernetes client {@code kubernetes} makes. */
  public static ControlPlane start(Path source, InetSocketAddress listen,
      Supplier<KubernetesClient> kubernetes) throws ConfigException, IOException {
    SimpleCache<String> cache = new SimpleCache<>(new NodeGroups());
    // Endpoint changes republish through the control plane, which exists only further down.
    AtomicReference<ControlPlane> started = new AtomicReference<>();
    EndpointSliceWatcher endpointSlices = new EndpointSliceWatcher(kubernetes, () -> {
      ControlPlane controlPlane = started.get();
      if (controlPlane != null) {
        controlPlane.endpointsChanged();
      }
    });
    SnapshotPublisher publisher = new SnapshotPublisher(cache, endpointSlices);
    // Every section is read and the TLS files loaded before anything starts (informers, the
    // Kubernetes client), so a bad configuration leaves nothing running behind its exception.
    EdgecacheConfig config = ConfigLoader.load(source);
    Optional<PurgeSettings> purgeSettings = PurgeSettingsLoader.load(source);
    SecuritySettings security = SecuritySettingsLoader.load(source);
    ReloadingTls tls = security.tls().isEmpty() ? null : ReloadingTls.forServer(security.tls().get());
    endpointSlices.watch(kubernetesServices(config));
    String version = publisher.publish(config);
    NackListener nacks = new NackListener();
    NackHoldback holdback = new NackHoldback(cache);
    ControlPlaneMetrics metrics = new ControlPlaneMetrics();
    metrics.versionServed(version);
    V3DiscoveryServer xds = new V3DiscoveryServer(List.of(nacks, holdback, metrics), holdback);
    PurgeControl purge;
    try {
      purge = purgeSettings.isEmpty() ? null : PurgeControl.start(purgeSettings.get(), Clock.systemUTC());
    } catch (IOException e) {
      closeTls(tls);
      endpointSlices.close();
      throw e;
    }
    if (purge != null) {
      PurgeMetrics.register(metrics.meter(), purge.coordinator());
    }
    NettyServerBuilder builder;
    if (tls == null) {
      PlaintextWarning.warnIfNotLoopback(log, "xDS/purge server", listen);
      builder = NettyServerBuilder.forAddress(listen);
    } else {
      builder = NettyServerBuilder.forAddress(listen, tls.serverCredentials());
    }
    NodeGuard guard = new NodeGuard(security.nodes(), purge == null ? id -> { } : purge.coordinator()::forget);
    if (purge != null) {
      for (ServerServiceDefinition service : purge.grpcServices()) {
        boolean nodeStream = service.getServiceDescriptor().getName().equals(PurgeStreamGrpc.SERVICE_NAME);
        builder.addService(nodeStream ? guard.purgeStream(service) : service);
      }
    }
    Server server;
    try {
      server = startXds(builder, xds, guard);
    } catch (IOException e) {
      guard.close();
      if (purge != null) {
        purge.close();
      }
      endpointSlices.close();
      closeTls(tls);
      throw e;
    }
    ControlPlane controlPlane = new ControlPlane(source, publisher, nacks, server, purge, version,
        metrics, endpointSlices, guard, tls);
    started.set(controlPlane);
    controlPlane.onReload(reload -> metrics.reloaded(reload.accepted(), reload.version()));
    try {
      controlPlane.watcher = new ConfigWatcher(source, DEBOUNCE, controlPlane::reload);
    } catch (IOException e) {
      controlPlane.close();
      throw e;
    }
    return controlPlane;
  }

  private static Set<KubernetesService> kubernetesServices(EdgecacheConfig config) {
    return config.clusters().stream()
        .map(ClusterSpec::kubernetes)
        .flatMap(Optional::stream)
        .collect(Collectors.toSet());
  }

  /** A watched Service's endpoints changed: the same configuration, new EDS assignments. */
  private synchronized void endpointsChanged() {
    version = publisher.republish();
    metrics.versionServed(version);
    log.fine(() -> "service endpoints changed: serving version " + version);
  }

  private static void closeTls(ReloadingTls tls) {
    if (tls != null) {
      tls.close();
    }
  }

  private static Server startXds(NettyServerBuilder builder, V3DiscoveryServer xds, NodeGuard guard)
      throws IOException {
    return builder
        .addService(guard.xds(xds.getAggregatedDiscoveryServiceImpl()))
        .addService(guard.xds(xds.getListenerDiscoveryServiceImpl()))
        .addService(guard.xds(xds.getRouteDiscoveryServiceImpl()))
        .addService(guard.xds(xds.getClusterDiscoveryServiceImpl()))
        .addService(guard.xds(xds.getEndpointDiscoveryServiceImpl()))
        // Envoy keeps its ADS stream open for hours; let idle streams live.
        .permitKeepAliveTime(10, TimeUnit.SECONDS)
        .permitKeepAliveWithoutCalls(true)
        // Our own pings find a node or Envoy that vanished without closing its streams.
        .keepAliveTime(30, TimeUnit.SECONDS)
        .keepAliveTimeout(10, TimeUnit.SECONDS)
        .build()
        .start();
  }

  /** Purge coordination and its admin API, when the configuration has a purge section. */
  public Optional<PurgeControl> purge() {
    return Optional.ofNullable(purge);
  }

  /** xDS and reload figures, for the metrics endpoint. */
  public ControlPlaneMetrics metrics() {
    return metrics;
  }

  /** Node identity binding: how many node ids each plane remembers. */
  public NodeGuard nodeGuard() {
    return nodeGuard;
  }

  /** The port xDS is served on. */
  public int port() {
    return server.getPort();
  }

  /** The snapshot version now served to every node group. */
  public String version() {
    return version;
  }

  /** Called with the outcome of every reload the watcher triggers. */
  public void onReload(Consumer<Reload> listener) {
    reloadListeners.add(listener);
  }

  /** Called with every NACK a node sends. */
  public void onNack(Consumer<NackListener.Nack> listener) {
    nacks.addListener(listener);
  }

  /** Loads the configuration again; publishes it if valid, else keeps the current snapshots. */
  public synchronized Reload reload() {
    Reload outcome;
    try {
      EdgecacheConfig config = ConfigLoader.load(source);
      endpointSlices.watch(kubernetesServices(config));
      version = publisher.publish(config);
      log.info(() -> "configuration accepted: serving version " + version);
      outcome = new Reload(true, version, null);
    } catch (ConfigException e) {
      log.warning(() -> "configuration rejected, still serving version " + version + ": " + e.getMessage());
      outcome = new Reload(false, version, e.getMessage());
    }
    Reload result = outcome;
    reloadListeners.forEach(l -> l.accept(result));
    return result;
  }

  /** Blocks until {@link #close()} (gRPC's threads are daemons, so a main thread must wait here). */
  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  @Override
  public void close() {
    try {
      if (watcher != null) {
        watcher.close();
      }
    } catch (IOException e) {
      log.fine(() -> "closing the config watcher: " + e);
    }
    server.shutdownNow();
    try {
      server.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (purge != null) {
      purge.close();
    }
    endpointSlices.close();
    nodeGuard.close();
    closeTls(tls);
    metrics.close();
  }
}
