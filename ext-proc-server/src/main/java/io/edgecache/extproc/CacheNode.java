package io.edgecache.extproc;

import io.edgecache.extproc.cache.CacheKey;
import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.cache.L1Store;
import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.policy.CachePolicy;
import io.edgecache.extproc.policy.Freshness;
import io.edgecache.extproc.store.TieredStore;
import java.io.IOException;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;

/**
 * What every ext_proc stream of one cache node shares: configuration, the decision policy,
 * the store and the clock all time calculations read (injected so tests can move it).
 */
public final class CacheNode implements AutoCloseable {

  private final ServerConfig config;
  private final CachePolicy policy;
  private final L1Store store;
  private final TieredStore tiers;
  private final Clock clock;

  /**
   * Opens the configured store tiers; fails when a tier's configuration cannot be used (disk
   * path, credential files), not when Redis or S3 is unreachable.
   */
  public CacheNode(ServerConfig config, Clock clock) throws IOException {
    this.config = config;
    this.clock = clock;
    this.policy =
        new CachePolicy(new Freshness(config.heuristicFraction(), config.heuristicMaxAge()));
    this.store = new L1Store(config.l1MaxBytes(), clock);
    this.tiers = TieredStore.open(config.tiers(), store, clock);
  }

  public ServerConfig config() {
    return config;
  }

  public CachePolicy policy() {
    return policy;
  }

  /** The memory tier alone: synchronous, for callers that cannot wait for a lower tier. */
  public L1Store store() {
    return store;
  }

  /**
   * The entry under {@code key}, fresh or not, or null: already complete when L1 holds it, else
   * completed later (on another thread) from the lower tiers. Never completes exceptionally.
   */
  public CompletableFuture<CachedResponse> lookup(CacheKey key) {
    return tiers.lookup(key);
  }

  /** Stores in L1 at once and in the lower tiers in the background. */
  public void store(CacheKey key, CachedResponse entry) {
    tiers.store(key, entry);
  }

  public TieredStore tiers() {
    return tiers;
  }

  public Clock clock() {
    return clock;
  }

  @Override
  public void close() {
    tiers.close();
  }
}
