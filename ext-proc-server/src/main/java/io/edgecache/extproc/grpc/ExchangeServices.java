package io.edgecache.extproc.grpc;

import io.edgecache.extproc.body.BodyTokens;
import io.edgecache.extproc.cache.L1Store;
import io.edgecache.extproc.cache.RecordingBudget;
import io.edgecache.extproc.coalesce.ClusterClaims;
import io.edgecache.extproc.coalesce.Coalescer;
import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.policy.CachePolicy;
import io.edgecache.extproc.purge.EdgePurges;
import io.edgecache.extproc.purge.HitGate;
import io.edgecache.extproc.refresh.BackgroundRefresher;
import io.edgecache.extproc.store.TieredStore;
import io.edgecache.extproc.telemetry.CacheMetrics;
import io.edgecache.extproc.telemetry.PushedPolicies;
import io.edgecache.extproc.telemetry.Telemetry;
import java.time.Clock;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The node's parts its exchanges use, built once by the node. {@link CacheExchange} hands each
 * of its parts the few of these it needs; nothing outside this package reads them.
 */
public final class ExchangeServices {

  final ServerConfig config;
  final CachePolicy policy;
  /** The memory tier, consulted synchronously on the hit path. */
  final L1Store memory;
  final TieredStore tiers;
  final Coalescer coalescer;
  final ClusterClaims cluster;
  final BackgroundRefresher refresher;
  final EdgePurges edgePurges;
  final HitGate hitGate;
  final BodyTokens bodyTokens;
  final PushedPolicies pushedPolicies;
  /** The memory the responses being recorded share. */
  final RecordingBudget recordings;
  /** Times the exchanges' waits and runs their continuations. */
  final ScheduledExecutorService scheduler;
  final Clock clock;
  final Telemetry telemetry;
  final CacheMetrics metrics;
  /** Keeps no exchange's state, so one serves them all. */
  final StoreUpdates storeUpdates;

  /**
   * @param cluster {@link ClusterClaims#NONE} without cluster coordination
   * @param refresher {@link BackgroundRefresher#NONE} without a refresh URL
   * @param edgePurges {@link EdgePurges#NONE} without a control plane
   */
  public ExchangeServices(ServerConfig config, CachePolicy policy, L1Store memory,
      TieredStore tiers, Coalescer coalescer, ClusterClaims cluster,
      BackgroundRefresher refresher, EdgePurges edgePurges, HitGate hitGate,
      BodyTokens bodyTokens, PushedPolicies pushedPolicies, RecordingBudget recordings,
      ScheduledExecutorService scheduler, Clock clock, Telemetry telemetry,
      CacheMetrics metrics) {
    this.config = config;
    this.policy = policy;
    this.memory = memory;
    this.tiers = tiers;
    this.coalescer = coalescer;
    this.cluster = cluster;
    this.refresher = refresher;
    this.edgePurges = edgePurges;
    this.hitGate = hitGate;
    this.bodyTokens = bodyTokens;
    this.pushedPolicies = pushedPolicies;
    this.recordings = recordings;
    this.scheduler = scheduler;
    this.clock = clock;
    this.telemetry = telemetry;
    this.metrics = metrics;
    this.storeUpdates = new StoreUpdates(memory, tiers, policy, config);
  }
}
