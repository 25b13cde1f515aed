package io.edgecache.extproc.coalesce;

import io.edgecache.extproc.config.TiersConfig;
import io.edgecache.extproc.store.CircuitBreaker;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * This node's lease calls to Redis, each within the Redis budget and behind a circuit breaker:
 * a call that was not made or failed completes with null, never exceptionally, so Redis
 * trouble leaves the node collapsing on its own.
 */
final class NodeLeases implements AutoCloseable {

  private static final Logger log = Logger.getLogger(NodeLeases.class.getName());
  /**
   * What a filled lease leaves behind for a while: a node whose lookup missed just before the
   * fill landed takes it over, and reads the entry instead of fetching it again.
   */
  private static final String FILLED_TOMBSTONE = "filled";

  private final String nodeId = UUID.randomUUID().toString();
  private final RedisLeases redis;
  private final Duration leaseTtl;
  private final Duration budget;
  private final CircuitBreaker breaker;

  /** @param timers times each call's budget (the node's scheduler) */
  NodeLeases(RedisLeases redis, Duration leaseTtl, TiersConfig tiers, Clock clock,
      ScheduledExecutorService timers) {
    this.redis = redis;
    this.leaseTtl = leaseTtl;
    this.budget = tiers.redis().timeout();
    this.breaker =
        new CircuitBreaker(tiers.breakerFailures(), tiers.breakerCoolDown(), clock, timers);
  }

  /** Asks for the lease on {@code key}, free or only a fill's tombstone. */
  CompletableFuture<RedisLeases.Claim> claim(String key) {
    return guarded(() -> redis.claim(
        ClusterCoalescer.leaseKey(key), nodeId, leaseTtl, FILLED_TOMBSTONE));
  }

  /** Extends this node's lease on {@code key} if it still holds it. */
  CompletableFuture<Boolean> renew(String key) {
    return guarded(() -> redis.renew(ClusterCoalescer.leaseKey(key), nodeId, leaseTtl));
  }

  /** Gives up this node's lease on {@code key} and tells the other nodes {@code notice}. */
  void release(String key, Notice notice) {
    // If this fails the lease simply runs out and waiters contend again.
    String tombstone = notice == Notice.FILLED ? FILLED_TOMBSTONE : null;
    guarded(() -> redis.releaseAndPublish(ClusterCoalescer.leaseKey(key), nodeId,
        notice.word() + " " + key, tombstone, leaseTtl));
  }

  CompletableFuture<Void> connected() {
    return redis.connected();
  }

  CircuitBreaker.State breakerState() {
    return breaker.state();
  }

  @Override
  public void close() {
    redis.close();
  }

  /** Runs a Redis call within the budget and the breaker: null when not made or failed. */
  private <T> CompletableFuture<T> guarded(Supplier<CompletableFuture<T>> call) {
    return breaker.call(call, budget).thenApply(attempt -> {
      if (attempt.failure() != null) {
        log.log(Level.FINE, "cluster collapsing: Redis call failed", attempt.failure());
      }
      return attempt.succeeded() ? attempt.result() : null;
    });
  }
}
