package io.edgecache.extproc.coalesce;

import io.edgecache.extproc.cache.CacheKey;
import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.concurrent.Deadlines;
import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.config.TiersConfig;
import io.edgecache.extproc.store.CircuitBreaker;
import io.edgecache.extproc.store.tier.KeyDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Request collapsing across the nodes that share a Redis: in front of the origin fetch a
 * node's local leader (see {@link Coalescer}) claims the key's lease in Redis. The node that
 * takes it fetches; when its entry is readable in the shared tiers it publishes a fill
 * notification and releases the lease. The others wait for that notification and read the
 * entry from the shared tiers; if the lease expires first (its holder crashed) or is given up
 * without an entry, they contend for it again. A response that was not storable is announced
 * as a pass: waiters go to the origin themselves.
 *
 * <p>A holder renews its lease while it fetches, but for one {@code collapsing.maxWait} at most
 * (as the local {@link Coalescer} leads for that long): then the lease runs out within its
 * lifetime and a waiting node takes over, so a stalled origin or a stream left silent does not
 * make every other node's requests for the key wait out their whole bound.
 *
 * <p>Redis trouble never fails a request: behind a circuit breaker, a lease that cannot be
 * asked for lets the node fetch alone, which is node-local collapsing.
 */
public final class ClusterCoalescer implements ClusterClaims {

  private static final Logger log = Logger.getLogger(ClusterCoalescer.class.getName());
  private static final String CHANNEL = "edgecache:fills";
  private static final String LEASE_PREFIX = "edgecache:lease:";

  /** What a claim came to. */
  public enum Outcome {
    /** This node holds the lease: it fetches, then ends the {@link ClusterLease}. */
    LEAD,
    /** The cluster could not be asked (Redis down): this node fetches on its own. */
    ALONE,
    /** Another node fetched and stored the entry: serve it. */
    FILLED,
    /** Another node's response was not storable: go to the origin. */
    PASS,
    /** Nothing arrived within the wait: go to the origin. */
    TIMED_OUT
  }

  /**
   * A claim's result: {@code lease} with {@link Outcome#LEAD}, {@code entry} with
   * {@link Outcome#FILLED}, else null.
   */
  public record Turn(Outcome outcome, ClusterLease lease, CachedResponse entry) {
    private static Turn of(Outcome outcome) {
      return new Turn(outcome, null, null);
    }
  }

  private final NodeLeases leases;
  private final Duration leaseTtl;
  /** How long a lease taken here is renewed at most: the followers' longest wait. */
  private final Duration leadFor;
  /** Times waits for notices and lease renewals (the node's scheduler). */
  private final ScheduledExecutorService scheduler;
  /** Reads an entry from the tiers below memory, where another node's fill lands. */
  private final Function<CacheKey, CompletableFuture<CachedResponse>> sharedLookup;
  /** Per key this node waits on: the next notice about it. */
  private final ConcurrentHashMap<String, CompletableFuture<Notice>> notices =
      new ConcurrentHashMap<>();

  private final LongAdder leasesWon = new LongAdder();
  private final LongAdder leasesLost = new LongAdder();
  private final LongAdder fillsReceived = new LongAdder();
  private final LongAdder leaseTakeovers = new LongAdder();
  private final LongAdder leaseRenewals = new LongAdder();
  private final LongAdder unavailable = new LongAdder();

  /**
   * @param scheduler times waits for notices, lease renewals and Redis calls' budgets
   * @param sharedLookup the entry under a key in the tiers below memory, or null; never
   *     completes exceptionally
   */
  public ClusterCoalescer(ServerConfig.Collapsing collapsing, TiersConfig tiers, Clock clock,
      ScheduledExecutorService scheduler,
      Function<CacheKey, CompletableFuture<CachedResponse>> sharedLookup) {
    this.scheduler = scheduler;
    this.leaseTtl = collapsing.cluster().leaseTtl();
    this.leadFor = collapsing.maxWait();
    this.sharedLookup = sharedLookup;
    this.leases = new NodeLeases(new RedisLeases(tiers.redis(), CHANNEL, this::onNotice),
        leaseTtl, tiers, clock, scheduler);
  }

  /** The Redis key of {@code key}'s lease. */
  public static String leaseKey(String key) {
    return LEASE_PREFIX + KeyDigest.sha256Hex(key);
  }

  @Override
  public boolean enabled() {
    return true;
  }

  @Override
  public CompletableFuture<Void> connected() {
    return leases.connected();
  }

  /** {@code onWaiting} runs on a Redis thread. */
  @Override
  public CompletableFuture<Turn> claim(CacheKey key, Duration maxWait, Runnable onWaiting) {
    long deadline = System.nanoTime() + maxWait.toNanos();
    return contend(key, deadline, onWaiting, Attempt.FIRST).exceptionally(error -> {
      log.log(Level.WARNING, "cluster collapsing failed for " + key + "; fetching alone", error);
      return Turn.of(Outcome.ALONE);
    });
  }

  /** Why a node asks for a key's lease. */
  private enum Attempt {
    FIRST,
    /** The holder gave the lease up, or its fill could not be read. */
    AFTER_NOTICE,
    /** The lease should have run out and no notice came: its holder may have died. */
    AFTER_EXPIRY
  }

  /** Asks for the lease, then leads or waits (the caller is told once that it waits). */
  private CompletableFuture<Turn> contend(CacheKey key, long deadline, Runnable onWaiting,
      Attempt attempt) {
    String uri = key.uri();
    // Listen before asking: a notice published just after we lose must not be missed.
    CompletableFuture<Notice> notice =
        notices.computeIfAbsent(uri, k -> new CompletableFuture<>());
    return leases.claim(uri)
        .thenCompose(claim -> {
          if (claim == null) {
            notices.remove(uri, notice);
            unavailable.increment();
            return CompletableFuture.completedFuture(Turn.of(Outcome.ALONE));
          }
          if (claim.taken()) {
            notices.remove(uri, notice);
            leasesWon.increment();
            ClusterLease lease =
                new ClusterLease(uri, this, System.nanoTime() + leadFor.toNanos());
            lease.renewLater();
            if (attempt == Attempt.FIRST && !claim.overTombstone()) {
              return CompletableFuture.completedFuture(new Turn(Outcome.LEAD, lease, null));
            }
            if (attempt == Attempt.AFTER_EXPIRY && !claim.overTombstone()) {
              leaseTakeovers.increment();
            }
            // The previous holder may have filled and let go just before: use its entry.
            return adoptFill(key, lease);
          }
          leasesLost.increment();
          if (attempt == Attempt.FIRST) {
            onWaiting.run();
          }
          return awaitNotice(key, notice, claim.heldMillis(), deadline, onWaiting);
        });
  }

  private CompletableFuture<Turn> adoptFill(CacheKey key, ClusterLease lease) {
    return sharedLookup.apply(key).thenApply(entry -> {
      if (entry == null) {
        return new Turn(Outcome.LEAD, lease, null);
      }
      lease.end(Notice.FILLED);
      fillsReceived.increment();
      return new Turn(Outcome.FILLED, null, entry);
    });
  }

  /**
   * Waits for the holder's notice, or for its lease to run out ({@code heldMillis}: PTTL, -2
   * when it went meanwhile and its notice is on the way), within the deadline.
   */
  private CompletableFuture<Turn> awaitNotice(CacheKey key, CompletableFuture<Notice> notice,
      long heldMillis, long deadline, Runnable onWaiting) {
    long leftMillis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
    Duration wait = Duration.ofMillis(Math.max(0, Math.min(heldMillis, leftMillis)));
    return Deadlines.orElse(notice, Notice.EXPIRED, wait, scheduler)
        .thenCompose(what -> afterNotice(key, what, notice, deadline, onWaiting));
  }

  private CompletableFuture<Turn> afterNotice(CacheKey key, Notice what,
      CompletableFuture<Notice> notice, long deadline, Runnable onWaiting) {
    switch (what) {
      case FILLED:
        return sharedLookup.apply(key).thenCompose(entry -> {
          if (entry != null) {
            fillsReceived.increment();
            return CompletableFuture.completedFuture(new Turn(Outcome.FILLED, null, entry));
          }
          return retry(key, deadline, onWaiting, Attempt.AFTER_NOTICE); // evicted, unreadable
        });
      case PASS:
        return CompletableFuture.completedFuture(Turn.of(Outcome.PASS));
      case EXPIRED:
        if (System.nanoTime() - deadline >= 0) {
          notices.remove(key.uri(), notice);
          return CompletableFuture.completedFuture(Turn.of(Outcome.TIMED_OUT));
        }
        return retry(key, deadline, onWaiting, Attempt.AFTER_EXPIRY);
      default: // ABANDONED: the holder stored nothing, so another node may fetch
        return retry(key, deadline, onWaiting, Attempt.AFTER_NOTICE);
    }
  }

  private CompletableFuture<Turn> retry(CacheKey key, long deadline, Runnable onWaiting,
      Attempt attempt) {
    if (System.nanoTime() - deadline >= 0) {
      return CompletableFuture.completedFuture(Turn.of(Outcome.TIMED_OUT));
    }
    return contend(key, deadline, onWaiting, attempt);
  }

  /** A message on the channel: "{notice} {key}". Wakes this node's waiter for the key. */
  private void onNotice(String message) {
    int space = message.indexOf(' ');
    Notice notice = space < 0 ? null : Notice.parse(message.substring(0, space));
    if (notice == null) {
      return;
    }
    CompletableFuture<Notice> waiter = notices.remove(message.substring(space + 1));
    if (waiter != null) {
      waiter.complete(notice);
    }
  }

  @Override
  public long leasesWon() {
    return leasesWon.sum();
  }

  @Override
  public long leasesLost() {
    return leasesLost.sum();
  }

  /** Entries another node fetched that this node served after its fill notice. */
  @Override
  public long fillsReceived() {
    return fillsReceived.sum();
  }

  /** Leases this node took after they ran out with no notice: their holder had died. */
  @Override
  public long leaseTakeovers() {
    return leaseTakeovers.sum();
  }

  /** Times this node extended a lease it held because its fetch was still running. */
  @Override
  public long leaseRenewals() {
    return leaseRenewals.sum();
  }

  /** Claims not made because Redis was unreachable or its breaker open. */
  @Override
  public long unavailable() {
    return unavailable.sum();
  }

  @Override
  public CircuitBreaker.State breakerState() {
    return leases.breakerState();
  }

  @Override
  public void close() {
    leases.close();
  }

  /** Runs {@code renewal} a third of a lease's lifetime from now. */
  void renewLater(Runnable renewal) {
    scheduler.schedule(renewal, leaseTtl.toMillis() / 3, TimeUnit.MILLISECONDS);
  }

  /** Extends this node's lease on {@code key}; true when it still held it and Redis agreed. */
  CompletableFuture<Boolean> renew(String key) {
    return leases.renew(key).thenApply(renewed -> {
      if (Boolean.TRUE.equals(renewed)) {
        leaseRenewals.increment();
        return true;
      }
      return false; // lost (expired, or Redis is away): waiters contend again
    });
  }

  /** Gives up this node's lease on {@code key}, telling the waiters {@code notice}. */
  void release(String key, Notice notice) {
    leases.release(key, notice);
  }
}
