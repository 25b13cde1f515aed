package io.edgecache.edge.http;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Envoy's {@code stream_idle_timeout} for one exchange: fires once nothing moved on it for the
 * timeout. Activity only stamps a time, so the hot path schedules nothing; the single check
 * re-arms itself for the time that remains. Confined to the exchange's event loop.
 */
final class StreamIdleTimer {
  private final EventLoop loop;
  private final long timeoutNanos;
  private final Runnable onIdle;
  private long lastActivity;
  private ScheduledFuture<?> check;

  /** A zero {@code timeout} disables the timer. */
  StreamIdleTimer(EventLoop loop, Duration timeout, Runnable onIdle) {
    this.loop = loop;
    this.timeoutNanos = timeout.toNanos();
    this.onIdle = onIdle;
  }

  void start() {
    if (timeoutNanos > 0) {
      lastActivity = System.nanoTime();
      schedule(timeoutNanos);
    }
  }

  void touch() {
    lastActivity = System.nanoTime();
  }

  void cancel() {
    if (check != null) {
      check.cancel(false);
      check = null;
    }
  }

  private void schedule(long delayNanos) {
    check = loop.schedule(this::check, delayNanos, TimeUnit.NANOSECONDS);
  }

  private void check() {
    if (check == null) {
      return;
    }
    long idle = System.nanoTime() - lastActivity;
    if (idle >= timeoutNanos) {
      check = null;
      onIdle.run();
    } else {
      schedule(timeoutNanos - idle);
    }
  }
}
