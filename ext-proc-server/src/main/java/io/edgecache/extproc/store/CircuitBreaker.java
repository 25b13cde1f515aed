package io.edgecache.extproc.store;

import io.edgecache.extproc.concurrent.Deadlines;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Keeps calls away from a failing tier: CLOSED lets calls through; {@code failureThreshold}
 * consecutive failures OPEN it; after {@code coolDown} one probe call is let through
 * (HALF_OPEN), whose success closes the breaker and whose failure opens it again.
 */
public final class CircuitBreaker {

  public enum State { CLOSED, OPEN, HALF_OPEN }

  /**
   * How a guarded call went: not {@code made} when the breaker kept it back; else its result,
   * or the failure (a run past the budget included), and how long it took.
   */
  public record Attempt<T>(boolean made, T result, Throwable failure, long nanos) {
    public boolean succeeded() {
      return made && failure == null;
    }
  }

  /** One consistent view of the breaker, swapped whole so no lock is needed. */
  private record Status(State state, int consecutiveFailures, long openedAtMillis) {}

  private static final Status ALL_CLEAR = new Status(State.CLOSED, 0, 0);

  private final int failureThreshold;
  private final Duration coolDown;
  private final Clock clock;
  /** Times the calls' budgets (the node's scheduler, not the JVM-wide delay thread). */
  private final ScheduledExecutorService timers;
  private final AtomicReference<Status> status = new AtomicReference<>(ALL_CLEAR);

  public CircuitBreaker(int failureThreshold, Duration coolDown, Clock clock,
      ScheduledExecutorService timers) {
    this.failureThreshold = failureThreshold;
    this.coolDown = coolDown;
    this.clock = clock;
    this.timers = timers;
  }

  /** Whether a call may be made now; true at most once per cool-down while not closed. */
  public boolean tryAcquire() {
    while (true) {
      Status now = status.get();
      switch (now.state()) {
        case CLOSED:
          return true;
        case OPEN:
          if (clock.millis() - now.openedAtMillis() < coolDown.toMillis()) {
            return false;
          }
          // Only the caller that moves the breaker to HALF_OPEN makes the probe.
          if (status.compareAndSet(now,
              new Status(State.HALF_OPEN, now.consecutiveFailures(), now.openedAtMillis()))) {
            return true;
          }
          break; // another caller changed it meanwhile: look again
        default:
          return false; // a probe is in flight
      }
    }
  }

  /**
   * Makes {@code call} if the breaker lets it through, failed once it runs past {@code budget},
   * and feeds its success or failure back to the breaker. Never completes exceptionally.
   */
  public <T> CompletableFuture<Attempt<T>> call(Supplier<CompletableFuture<T>> call,
      Duration budget) {
    if (!tryAcquire()) {
      return CompletableFuture.completedFuture(new Attempt<>(false, null, null, 0));
    }
    long start = System.nanoTime();
    CompletableFuture<T> pending;
    try {
      pending = call.get();
    } catch (RuntimeException e) {
      pending = CompletableFuture.failedFuture(e);
    }
    return Deadlines.within(pending, budget, timers).handle((result, error) -> {
      if (error != null) {
        onFailure();
      } else {
        onSuccess();
      }
      return new Attempt<>(true, error == null ? result : null, error, System.nanoTime() - start);
    });
  }

  public void onSuccess() {
    status.set(ALL_CLEAR);
  }

  public void onFailure() {
    status.updateAndGet(now -> {
      int failures = now.consecutiveFailures() + 1;
      return now.state() == State.HALF_OPEN || failures >= failureThreshold
          ? new Status(State.OPEN, failures, clock.millis())
          : new Status(now.state(), failures, now.openedAtMillis());
    });
  }

  public State state() {
    return status.get().state();
  }
}
