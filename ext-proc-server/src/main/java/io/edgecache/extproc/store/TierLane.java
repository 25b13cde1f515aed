package io.edgecache.extproc.store;

import io.edgecache.extproc.store.tier.Found;
import io.edgecache.extproc.store.tier.Tier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Guarded access to one lower tier: every call has a time budget, goes through the tier's
 * circuit breaker and is counted; a failure is reported as a miss, never to the caller. Writes
 * wait in a queue drained by one thread, which sends them in batches (so a tier can pipeline
 * them). The queue is bounded by count and by the bytes it and the writes in flight hold:
 * beyond either, a write is shed and counted, so a slow tier costs writes, never memory.
 */
final class TierLane implements AutoCloseable {

  private static final Logger log = Logger.getLogger(TierLane.class.getName());
  private static final int MAX_BATCH = 64;
  /** Writes sent and not yet answered; bounds the memory a slow tier can hold. */
  private static final int MAX_WRITES_IN_FLIGHT = 256;

  final Tier tier;
  final TierStats stats = new TierStats();
  /** Which entries this tier holds: by size class. */
  final boolean holdsSmall;
  final boolean holdsLarge;

  private final CircuitBreaker breaker;
  private final Duration budget;
  private final BlockingQueue<Queued> queue;
  private final Semaphore inFlight = new Semaphore(MAX_WRITES_IN_FLIGHT);
  private final long maxHeldBytes;
  /** Bytes of writes queued or in flight. */
  private final AtomicLong heldBytes = new AtomicLong();
  private final Thread writer;

  TierLane(Tier tier, boolean holdsSmall, boolean holdsLarge, Duration budget,
      CircuitBreaker breaker, int queueCapacity, long maxHeldBytes) {
    this.maxHeldBytes = maxHeldBytes;
    this.tier = tier;
    this.holdsSmall = holdsSmall;
    this.holdsLarge = holdsLarge;
    this.budget = budget;
    this.breaker = breaker;
    this.queue = new ArrayBlockingQueue<>(queueCapacity);
    this.writer = new Thread(this::drainWrites, "edgecache-" + tier.name() + "-writer");
    this.writer.setDaemon(true);
    this.writer.start();
  }

  boolean holds(boolean large) {
    return large ? holdsLarge : holdsSmall;
  }

  CircuitBreaker.State breakerState() {
    return breaker.state();
  }

  /**
   * The entry under {@code key} (whole when its body is at most {@code wholeUpTo} bytes, else
   * its head); empty on a miss, an open breaker or any failure.
   */
  CompletableFuture<Optional<Found>> get(String key, long wholeUpTo) {
    return guarded(() -> tier.get(key, wholeUpTo).exceptionally(error -> {
      // A tier that answered with a corrupt entry is healthy: drop the entry, not the tier.
      Throwable cause = error instanceof CompletionException ? error.getCause() : error;
      if (cause instanceof CorruptEntryException) {
        dropCorrupt(key, cause.getMessage());
        return Optional.empty();
      }
      throw error instanceof CompletionException c ? c : new CompletionException(error);
    })).thenApply(found -> {
      Optional<Found> value = found.flatMap(v -> v);
      if (found.isPresent()) {
        (value.isPresent() ? stats.hits : stats.misses).increment();
        value.ifPresent(read -> stats.bytesRead.add(read.bytesRead()));
      }
      return value;
    });
  }

  /** A write waiting for the writer, and who wants to know how it went. */
  private record Queued(PendingWrite write, CompletableFuture<Boolean> written) {}

  /**
   * Queues a write; sheds it when the queue is full. The result completes true once the tier
   * acknowledged the write, false when it was shed or failed (it never completes for a write
   * still queued when the lane closes).
   */
  CompletableFuture<Boolean> enqueue(PendingWrite write) {
    CompletableFuture<Boolean> written = new CompletableFuture<>();
    long bytes = write.heapBytes();
    if (heldBytes.addAndGet(bytes) > maxHeldBytes || !queue.offer(new Queued(write, written))) {
      heldBytes.addAndGet(-bytes);
      stats.shedWrites.increment();
      written.complete(false);
      return written;
    }
    return written.whenComplete((sent, error) -> heldBytes.addAndGet(-bytes));
  }

  /** Removes an entry the tier returned corrupt, so it is not read again. */
  void dropCorrupt(String key, String why) {
    stats.corrupt.increment();
    log.warning(() -> tier.name() + " tier: dropping corrupt entry " + key + ": " + why);
    remove(key);
  }

  CompletableFuture<Void> remove(String key) {
    return guarded(() -> tier.remove(key)).thenApply(done -> null);
  }

  /** Stops the writer (writes still queued are dropped: they are cache fills, not data). */
  @Override
  public void close() {
    writer.interrupt();
    tier.close();
  }

  /**
   * Runs a call within the budget and the breaker, counted. Completes with empty when the call
   * was not made or failed, else with the call's result.
   */
  private <T> CompletableFuture<Optional<T>> guarded(Supplier<CompletableFuture<T>> call) {
    return breaker.call(call, budget).thenApply(attempt -> {
      if (!attempt.made()) {
        stats.skipped.increment();
        return Optional.empty();
      }
      stats.calls.increment();
      stats.callNanos.add(attempt.nanos());
      if (attempt.failure() != null) {
        stats.errors.increment();
        log.log(Level.FINE, tier.name() + " tier call failed", attempt.failure());
        return Optional.empty();
      }
      return Optional.ofNullable(attempt.result());
    });
  }

  private void drainWrites() {
    List<Queued> batch = new ArrayList<>(MAX_BATCH);
    try {
      while (true) {
        batch.add(queue.take());
        queue.drainTo(batch, MAX_BATCH - 1);
        for (Queued queued : batch) {
          send(queued.write(), queued.written());
        }
        tier.flush();
        batch.clear();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // closing
    }
  }

  private void send(PendingWrite write, CompletableFuture<Boolean> written)
      throws InterruptedException {
    if (!inFlight.tryAcquire()) {
      tier.flush(); // what is waiting for a flush must not wait for a permit
      inFlight.acquire();
    }
    long length;
    Supplier<CompletableFuture<Boolean>> put;
    if (write.file != null) {
      length = write.fileLength;
      put = () -> tier.putFile(write.key, write.file, write.fileLength, write.timeToKeep)
          .thenApply(v -> Boolean.TRUE);
    } else {
      byte[] bytes = write.encoded();
      length = bytes.length;
      put = () -> tier.put(write.key, bytes, write.timeToKeep).thenApply(v -> Boolean.TRUE);
    }
    guarded(put).whenComplete((sent, error) -> {
      inFlight.release();
      if (sent.isPresent()) {
        stats.writes.increment();
        stats.bytesWritten.add(length);
      }
      written.complete(sent.isPresent());
    });
  }
}
