package io.edgecache.reconnect;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * How long a client waits before reopening a stream to the control plane: exponential from
 * {@code first}, capped, each wait drawn at random between half and all of its ceiling so a
 * fleet whose streams broke at the same moment (a control-plane restart) does not reconnect in
 * lockstep. The cap bounds how long after a restart a node follows it. Not thread safe: each
 * client calls it under its own lock.
 */
public final class ReconnectBackoff {

  /** Near enough to the restart that a node follows a control plane within about a second. */
  public static final Duration FIRST = Duration.ofMillis(100);
  public static final Duration CAP = Duration.ofSeconds(1);

  private final long firstMillis;
  private final long capMillis;
  private final DoubleSupplier random;
  private int failures;

  public ReconnectBackoff(Duration first, Duration cap, DoubleSupplier random) {
    if (first.isNegative() || first.isZero() || cap.compareTo(first) < 0) {
      throw new IllegalArgumentException(
          "backoff: first (" + first + ") must be positive and at most cap (" + cap + ")");
    }
    this.firstMillis = first.toMillis();
    this.capMillis = cap.toMillis();
    this.random = random;
  }

  /** 100 ms first, 1 s cap, jittered by the thread-local random. */
  public static ReconnectBackoff standard() {
    return new ReconnectBackoff(FIRST, CAP, () -> ThreadLocalRandom.current().nextDouble());
  }

  /** The wait before the next attempt; each call without {@link #reset()} doubles the ceiling. */
  public Duration next() {
    long ceiling = capMillis;
    if (failures < 31 && (firstMillis << failures) < capMillis) {
      ceiling = firstMillis << failures;
    }
    failures++;
    return Duration.ofMillis(ceiling / 2 + (long) (random.getAsDouble() * (ceiling - ceiling / 2)));
  }

  /** The stream worked: the next failure starts again from {@code first}. */
  public void reset() {
    failures = 0;
  }
}
