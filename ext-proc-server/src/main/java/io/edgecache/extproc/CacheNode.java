package io.edgecache.extproc;

import com.google.common.base.Throwables;
import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.edgecache.extproc.body.BodyStats;
import io.edgecache.extproc.body.BodyTokens;
import io.edgecache.extproc.cache.L1Store;
import io.edgecache.extproc.cache.RecordingBudget;
import io.edgecache.extproc.coalesce.ClusterClaims;
import io.edgecache.extproc.coalesce.ClusterCoalescer;
import io.edgecache.extproc.coalesce.Coalescer;
import io.edgecache.extproc.concurrent.Deadlines;
import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.grpc.ExchangeServices;
import io.edgecache.extproc.policy.CachePolicy;
import io.edgecache.extproc.policy.Freshness;
import io.edgecache.extproc.purge.EdgePurges;
import io.edgecache.extproc.purge.HitGate;
import io.edgecache.extproc.purge.NodePurger;
import io.edgecache.extproc.purge.PurgeAgent;
import io.edgecache.extproc.purge.PurgeScreen;
import io.edgecache.extproc.purge.SurrogateKeys;
import io.edgecache.extproc.refresh.BackgroundRefresher;
import io.edgecache.extproc.store.TieredStore;
import io.edgecache.extproc.telemetry.CacheMetrics;
import io.edgecache.extproc.telemetry.PurgeStreamMetrics;
import io.edgecache.extproc.telemetry.PushedPolicies;
import io.edgecache.extproc.telemetry.Telemetry;
import io.edgecache.security.PlaintextWarning;
import io.edgecache.security.ReloadingTls;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.logging.Logger;

/**
 * One cache node: builds what its ext_proc streams share (configuration, the decision policy,
 * the tiered store, request collapsing, background refreshes, purges, telemetry and the clock
 * all time calculations read, injected so tests can move it), hands it to them once as
 * {@link ExchangeServices}, and closes it. Its few public getters are for figures and tests.
 */
public final class CacheNode implements AutoCloseable {

  private static final Logger log = Logger.getLogger(CacheNode.class.getName());

  private final ServerConfig config;
  private final L1Store store;
  private final TieredStore tiers;
  private final Coalescer coalescer;
  private final RecordingBudget recordings;
  /** {@link ClusterClaims#NONE} unless collapsing spans the nodes sharing a Redis. */
  private final ClusterClaims cluster;
  /** {@link BackgroundRefresher#NONE} unless a refresh URL is configured. */
  private final BackgroundRefresher refresher;
  private final Telemetry telemetry;
  private final CacheMetrics metrics;
  private final HitGate hitGate;
  /** The control plane's channel (purge stream, PURGE requests); null when none is followed. */
  private final ManagedChannel controlPlane;
  /** Client credentials of the purge stream (the node's certificate); null for plaintext. */
  private final ReloadingTls controlPlaneTls;
  /** Channels to further control-plane replicas the purge stream may move to. */
  private final List<ManagedChannel> standbyControlPlanes;
  private final PurgeAgent purgeAgent;
  private final BodyTokens bodyTokens;
  private final BodyStats bodyStats = new BodyStats();
  private final PushedPolicies pushedPolicies = new PushedPolicies();
  /**
   * The node's one scheduler: times the exchanges' waits (lookups, collapsing, leases) and the
   * tier calls' budgets, and runs continuations that leave the thread which completed a future.
   */
  private final ScheduledThreadPoolExecutor scheduler = exchangeThreads();
  private final ExchangeServices exchangeServices;

  /**
   * Opens the configured store tiers; fails when a tier's configuration cannot be used (disk
   * path, credential files), not when Redis or S3 is unreachable.
   */
  public CacheNode(ServerConfig config, Clock clock, Telemetry telemetry) throws IOException {
    this.config = config;
    CachePolicy policy = new CachePolicy(
        new Freshness(config.heuristicFraction(), config.heuristicMaxAge()),
        config.targetedField(), config.stripTargetedFields());
    Path tokenSecret = config.tiers().bodyTokenSecretFile();
    this.bodyTokens = tokenSecret == null ? BodyTokens.random()
        : BodyTokens.fromSecretFile("tiers.bodyTokenSecretFile", tokenSecret);
    this.store = new L1Store(config.l1MaxBytes(), config.staleRetention(), clock);
    // Purges take part in the store's work from the start: declared when it is built.
    PurgeScreen purgeScreen = new PurgeScreen(
        new SurrogateKeys(config.purge().surrogateKeyField(), config.purge().cacheTagField()),
        config.purge().ruleRetention(), store);
    this.tiers = TieredStore.open(config.tiers(), store, clock, scheduler, purgeScreen);
    NodePurger purger = new NodePurger(tiers, purgeScreen, clock);
    // A node following a control plane serves no hit before it has replayed the purge log.
    this.hitGate = new HitGate(!config.purge().followsControlPlane(),
        config.purge().staleGrace(), System::nanoTime);
    EdgePurges edgePurges;
    if (config.purge().followsControlPlane()) {
      this.controlPlaneTls = config.tls() == null ? null : ReloadingTls.forClient(config.tls().files());
      this.controlPlane = channelTo(config.purge().controlPlane(), controlPlaneTls);
      this.standbyControlPlanes = new ArrayList<>();
      for (InetSocketAddress standby : config.purge().standbyControlPlanes()) {
        standbyControlPlanes.add(channelTo(standby, controlPlaneTls));
      }
      List<ManagedChannel> purgeChannels = new ArrayList<>();
      purgeChannels.add(controlPlane);
      purgeChannels.addAll(standbyControlPlanes);
      this.purgeAgent = PurgeAgent.start(config.purge(), purgeChannels, purger, hitGate);
      edgePurges = EdgePurges.through(controlPlane);
    } else {
      this.controlPlane = null;
      this.controlPlaneTls = null;
      this.standbyControlPlanes = List.of();
      this.purgeAgent = null;
      edgePurges = EdgePurges.NONE;
    }
    this.coalescer = new Coalescer(clock, config.collapsing().passTtl(),
        config.collapsing().maxWait());
    this.cluster = config.collapsing().enabled() && config.collapsing().cluster().enabled()
        ? new ClusterCoalescer(config.collapsing(), config.tiers(), clock, scheduler,
            tiers::lookupBelowMemory)
        : ClusterClaims.NONE;
    this.refresher = config.refreshUrl() == null ? BackgroundRefresher.NONE
        : BackgroundRefresher.through(config.refreshUrl());
    this.telemetry = telemetry;
    this.metrics = new CacheMetrics(telemetry.meter(), store::weightedSize,
        coalescer::waitingNow, coalescer::overtakenTotal, refresher::startedTotal);
    for (String tier : TieredStore.LOWER_TIERS) {
      tiers.stats(tier).ifPresent(stats -> metrics.registerTier(telemetry.meter(), tier, stats));
    }
    if (config.purge().followsControlPlane()) {
      PurgeStreamMetrics.register(telemetry.meter(), hitGate);
    }
    // Asked, not left to NONE: its zeros would add cluster series to /metrics.
    if (cluster.enabled()) {
      metrics.registerCluster(telemetry.meter(), cluster);
    }
    if (config.tiers().bodyListen() != null) {
      metrics.registerBodies(telemetry.meter(), bodyStats);
    }
    this.recordings = new RecordingBudget(config.l1MaxBytes());
    metrics.registerRecordings(telemetry.meter(), recordings::heldBytes, recordings::refused);
    this.exchangeServices = new ExchangeServices(config, policy, store, tiers, coalescer,
        cluster, refresher, edgePurges, hitGate, bodyTokens, pushedPolicies, recordings,
        scheduler, clock, telemetry, metrics);
  }

  /** Two daemon threads: waits are short and continuations do no blocking work. */
  private static ScheduledThreadPoolExecutor exchangeThreads() {
    ScheduledThreadPoolExecutor threads = new ScheduledThreadPoolExecutor(2,
        new ThreadFactoryBuilder().setNameFormat("edgecache-exchange-%d").setDaemon(true).build());
    // Most waits end early (a lookup answers, a leader lands): drop their timers at once.
    threads.setRemoveOnCancelPolicy(true);
    return threads;
  }

  /** A channel to a control plane: mTLS with {@code tls}, else plaintext (warned off loopback). */
  private static ManagedChannel channelTo(InetSocketAddress address, ReloadingTls tls) {
    if (tls == null) {
      PlaintextWarning.warnIfNotLoopback(log, "purge stream to the control plane", address);
      return NettyChannelBuilder.forAddress(address.getHostString(), address.getPort())
          .usePlaintext()
          .build();
    }
    return NettyChannelBuilder.forAddress(address.getHostString(), address.getPort(),
        tls.channelCredentials()).build();
  }

  /**
   * Completes, never exceptionally, once the shared tiers' and the cluster leases' connections
   * are made (empty), or an attempt failed or {@code within} passed (why not). Until then a
   * node's first lookups would spend their budget on handshakes and miss.
   */
  CompletableFuture<Optional<String>> connections(Duration within) {
    CompletableFuture<Void> all = CompletableFuture.allOf(tiers.connected(), cluster.connected());
    return Deadlines.within(all, within, scheduler).handle((made, error) -> error == null
        ? Optional.empty()
        : Optional.of(String.valueOf(Throwables.getRootCause(error).getMessage())));
  }

  /** What the node's ext_proc streams use. */
  ExchangeServices exchangeServices() {
    return exchangeServices;
  }

  ServerConfig config() {
    return config;
  }

  /** The memory tier. */
  L1Store store() {
    return store;
  }

  /** Whether the node may answer from its cache now (closed while purges may be missing). */
  public boolean servesHits() {
    return hitGate.isOpen();
  }

  /** Whether and why hits are served: following the purge stream, on grace, or not at all. */
  public HitGate hitGate() {
    return hitGate;
  }

  /** The sequence number of the last purge applied, or 0 when no control plane is followed. */
  public long lastAppliedPurge() {
    return purgeAgent == null ? 0 : purgeAgent.lastApplied();
  }

  /** The control plane's route policies seen on recent streams (they override the node's routes' fields). */
  PushedPolicies pushedPolicies() {
    return pushedPolicies;
  }

  /** What the large-body endpoint served. */
  public BodyStats bodyStats() {
    return bodyStats;
  }

  /** Signs the reroutes of large hits to the body endpoint, and checks them there. */
  BodyTokens bodyTokens() {
    return bodyTokens;
  }

  public TieredStore tiers() {
    return tiers;
  }

  /** The memory the responses being recorded share. */
  public RecordingBudget recordings() {
    return recordings;
  }

  /** Collapsing on this node. */
  public Coalescer coalescer() {
    return coalescer;
  }

  /** Collapsing across nodes; {@link ClusterClaims#NONE} when it is off. */
  public ClusterClaims cluster() {
    return cluster;
  }

  /** Background refreshes; {@link BackgroundRefresher#NONE} without a refresh URL. */
  public BackgroundRefresher refresher() {
    return refresher;
  }

  Telemetry telemetry() {
    return telemetry;
  }

  CacheMetrics metrics() {
    return metrics;
  }

  @Override
  public void close() {
    if (purgeAgent != null) {
      purgeAgent.close();
      controlPlane.shutdownNow();
      standbyControlPlanes.forEach(ManagedChannel::shutdownNow);
      if (controlPlaneTls != null) {
        controlPlaneTls.close();
      }
    }
    refresher.close();
    cluster.close();
    tiers.close();
    scheduler.shutdownNow();
  }
}
