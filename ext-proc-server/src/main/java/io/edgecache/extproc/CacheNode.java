package io.edgecache.extproc;

import io.edgecache.extproc.cache.L1Store;
import io.edgecache.extproc.coalesce.Coalescer;
import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.policy.CachePolicy;
import io.edgecache.extproc.policy.Freshness;
import io.edgecache.extproc.refresh.BackgroundRefresher;
import java.time.Clock;

/**
 * What every ext_proc stream of one cache node shares: configuration, the decision policy,
 * the store, request collapsing, background refreshes and the clock all time calculations
 * read (injected so tests can move it).
 */
public final class CacheNode implements AutoCloseable {

  private final ServerConfig config;
  private final CachePolicy policy;
  private final L1Store store;
  private final Coalescer coalescer;
  private final BackgroundRefresher refresher;
  private final Clock clock;

  public CacheNode(ServerConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
    this.policy = new CachePolicy(
        new Freshness(config.heuristicFraction(), config.heuristicMaxAge()),
        config.targetedField(), config.stripTargetedFields());
    this.store = new L1Store(config.l1MaxBytes(), config.staleRetention(), clock);
    this.coalescer = new Coalescer(clock, config.collapsing().passTtl());
    this.refresher =
        config.refreshUrl() == null ? null : new BackgroundRefresher(config.refreshUrl());
  }

  public ServerConfig config() {
    return config;
  }

  public CachePolicy policy() {
    return policy;
  }

  public L1Store store() {
    return store;
  }

  public Coalescer coalescer() {
    return coalescer;
  }

  /** The background refresher, or null when no refresh URL is configured. */
  public BackgroundRefresher refresher() {
    return refresher;
  }

  public Clock clock() {
    return clock;
  }

  @Override
  public void close() {
    if (refresher != null) {
      refresher.close();
    }
  }
}
