package io.edgecache.extproc.concurrent;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Bounds on futures timed by an injected scheduler rather than {@code orTimeout}'s JVM-wide
 * delay thread: the owner decides which thread fires them, and tests can drive it. The source
 * future is never completed by a deadline (it may be shared, as a collapsed fetch is).
 */
public final class Deadlines {

  private Deadlines() {}

  /** {@code source}'s outcome, or {@code fallback} if it has none within {@code wait}. */
  public static <T> CompletableFuture<T> orElse(CompletableFuture<T> source, T fallback,
      Duration wait, ScheduledExecutorService scheduler) {
    CompletableFuture<T> bounded = new CompletableFuture<>();
    ScheduledFuture<?> timer = scheduler.schedule(() -> bounded.complete(fallback),
        wait.toNanos(), TimeUnit.NANOSECONDS);
    follow(source, bounded, timer);
    return bounded;
  }

  /** {@code source}'s outcome, or a {@link TimeoutException} if it has none within {@code wait}. */
  public static <T> CompletableFuture<T> within(CompletableFuture<T> source, Duration wait,
      ScheduledExecutorService scheduler) {
    CompletableFuture<T> bounded = new CompletableFuture<>();
    ScheduledFuture<?> timer = scheduler.schedule(
        () -> bounded.completeExceptionally(new TimeoutException("no answer within " + wait)),
        wait.toNanos(), TimeUnit.NANOSECONDS);
    follow(source, bounded, timer);
    return bounded;
  }

  private static <T> void follow(CompletableFuture<T> source, CompletableFuture<T> bounded,
      ScheduledFuture<?> timer) {
    source.whenComplete((value, error) -> {
      timer.cancel(false);
      if (error != null) {
        bounded.completeExceptionally(error);
      } else {
        bounded.complete(value);
      }
    });
  }
}
