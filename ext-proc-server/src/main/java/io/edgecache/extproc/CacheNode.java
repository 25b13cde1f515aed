package io.edgecache.extproc;

import io.edgecache.extproc.cache.L1Store;
import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.policy.CachePolicy;
import io.edgecache.extproc.policy.Freshness;
import java.time.Clock;

/**
 * What every ext_proc stream of one cache node shares: configuration, the decision policy,
 * the store and the clock all time calculations read (injected so tests can move it).
 */
public final class CacheNode {

  private final ServerConfig config;
  private final CachePolicy policy;
  private final L1Store store;
  private final Clock clock;

  public CacheNode(ServerConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
    this.policy =
        new CachePolicy(new Freshness(config.heuristicFraction(), config.heuristicMaxAge()));
    this.store = new L1Store(config.l1MaxBytes(), clock);
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

  public Clock clock() {
    return clock;
  }
}
