package io.edgecache.extproc.coalesce;

import io.edgecache.extproc.cache.CacheKey;
import io.edgecache.extproc.store.CircuitBreaker;
import io.edgecache.extproc.telemetry.CacheMetrics;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * What a node's local leader asks the other nodes before it fetches: whether one of them
 * already does ({@link ClusterCoalescer}). A node without Redis cluster coordination has
 * {@link #NONE}: its leaders fetch at once, and it counts nothing.
 */
public interface ClusterClaims extends CacheMetrics.ClusterFigures, AutoCloseable {

  /** No cluster coordination: leaders ask nobody. */
  ClusterClaims NONE = new ClusterClaims() {
    @Override
    public boolean enabled() {
      return false;
    }

    @Override
    public CompletableFuture<ClusterCoalescer.Turn> claim(CacheKey key, Duration maxWait,
        Runnable onWaiting) {
      throw new IllegalStateException("no cluster to claim " + key + " from on this node");
    }

    @Override
    public CircuitBreaker.State breakerState() {
      return CircuitBreaker.State.CLOSED;
    }

    @Override
    public long leasesWon() {
      return 0;
    }

    @Override
    public long leasesLost() {
      return 0;
    }

    @Override
    public long fillsReceived() {
      return 0;
    }

    @Override
    public long leaseTakeovers() {
      return 0;
    }

    @Override
    public long leaseRenewals() {
      return 0;
    }

    @Override
    public long unavailable() {
      return 0;
    }

    @Override
    public void close() {}
  };

  /** Whether leaders ask the other nodes; {@link #claim} is called only when they do. */
  boolean enabled();

  /**
   * Completes once the connections to the other nodes' meeting point (Redis) are made,
   * exceptionally when that failed; at once when there is none.
   */
  default CompletableFuture<Void> connected() {
    return CompletableFuture.completedFuture(null);
  }

  /**
   * Claims the fetch of {@code key} for this node. Completes as soon as the cluster answers
   * with LEAD or ALONE when this node should fetch; otherwise runs {@code onWaiting} (once)
   * and completes, within {@code maxWait}, with FILLED, PASS, TIMED_OUT, or LEAD when the
   * holder's lease ran out or was given up. Never completes exceptionally.
   */
  CompletableFuture<ClusterCoalescer.Turn> claim(CacheKey key, Duration maxWait,
      Runnable onWaiting);

  /** The breaker in front of the cluster's Redis. */
  CircuitBreaker.State breakerState();

  @Override
  void close();
}
