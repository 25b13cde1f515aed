package io.edgecache.extproc.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.store.tier.Found;
import io.edgecache.extproc.store.tier.Tier;
import io.edgecache.extproc.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A lane in front of a tier that has stopped acknowledging writes (a stalled disk or Redis):
 * what it holds is bounded by bytes, so writes are shed instead of piling up in the heap.
 */
class TierLaneTest {

  private static final int BODY = 1 << 20;

  /** The node's scheduler: times the tier calls. */
  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stopTimers() {
    timers.shutdownNow();
  }

  /** A tier whose writes complete only when the test says so. */
  private static final class StalledTier implements Tier {
    final BlockingQueue<CompletableFuture<Void>> puts = new LinkedBlockingQueue<>();

    @Override
    public String name() {
      return "stalled";
    }

    @Override
    public CompletableFuture<Optional<Found>> get(String key, long wholeUpTo) {
      return CompletableFuture.completedFuture(Optional.empty());
    }

    @Override
    public CompletableFuture<Void> put(String key, byte[] encoded, Duration timeToKeep) {
      CompletableFuture<Void> put = new CompletableFuture<>();
      puts.add(put);
      return put;
    }

    @Override
    public CompletableFuture<Void> remove(String key) {
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close() {}
  }

  @Test
  void writesBeyondTheByteBoundAreShedUntilTheTierCatchesUp() throws Exception {
    StalledTier tier = new StalledTier();
    ManualClock clock = new ManualClock(Instant.parse("2026-11-22T00:00:00Z"));
    // room for two 1 MiB entries (with their headers), not three; budget long enough never to
    // time out during the test
    try (TierLane lane = new TierLane(tier, true, false, Duration.ofMinutes(5),
        new CircuitBreaker(5, Duration.ofSeconds(5), clock, timers), 1024, 2 * BODY + 4096)) {
      CompletableFuture<Boolean> first = lane.enqueue(write("a", clock));
      CompletableFuture<Boolean> second = lane.enqueue(write("b", clock));
      CompletableFuture<Boolean> third = lane.enqueue(write("c", clock));

      assertFalse(third.get(5, TimeUnit.SECONDS), "the third was shed at once");
      assertEquals(1, lane.stats.shedWrites());
      CompletableFuture<Void> put = tier.puts.poll(5, TimeUnit.SECONDS); // the writer sent "a"
      put.complete(null);
      assertTrue(first.get(5, TimeUnit.SECONDS));

      CompletableFuture<Boolean> fourth = lane.enqueue(write("d", clock));
      tier.puts.poll(5, TimeUnit.SECONDS).complete(null); // "b"
      tier.puts.poll(5, TimeUnit.SECONDS).complete(null); // "d": room again once "a" was written
      assertTrue(second.get(5, TimeUnit.SECONDS));
      assertTrue(fourth.get(5, TimeUnit.SECONDS));
      assertEquals(1, lane.stats.shedWrites());
    }
  }

  private static PendingWrite write(String key, ManualClock clock) {
    CachedResponse entry = StoreFixtures.entry(clock.instant(), BODY, key.hashCode());
    return new PendingWrite(key, entry, null, Duration.ofHours(1));
  }
}
