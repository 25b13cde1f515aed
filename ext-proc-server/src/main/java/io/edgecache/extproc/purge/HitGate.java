package io.edgecache.extproc.purge;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Whether this node may answer from its cache. Closed from start until the control plane says
 * the replay is over. When a followed purge stream drops, hits go on for the grace (bounded
 * staleness: a purge accepted meanwhile reaches this node within the grace plus its replay, or
 * the node serves no hits); past the grace the gate is closed until the node has replayed. A
 * zero grace closes it the moment the stream drops. Closed, the node still forwards and
 * stores; it only answers nothing from the cache.
 *
 * <p>Read on every request: the state is one immutable value behind a volatile field.
 */
public final class HitGate {

  /** Where the node stands with the purge stream, as reported by the metrics. */
  public enum State { FOLLOWING, GRACE, CLOSED }

  /** Caught up on a live stream, or else (when the grace runs) dropped at graceStartNanos. */
  private record Phase(boolean caughtUp, boolean graceRunning, long graceStartNanos) {}

  private static final Phase CLOSED = new Phase(false, false, 0);
  private static final Phase FOLLOWING = new Phase(true, false, 0);

  private final long graceNanos;
  private final LongSupplier nanoTime;
  private volatile Phase phase;

  /**
   * @param open whether hits are served from the start (a node that follows no control plane)
   * @param grace how long hits go on after the purge stream drops
   * @param nanoTime a monotonic clock ({@code System::nanoTime}; tests move their own)
   */
  public HitGate(boolean open, Duration grace, LongSupplier nanoTime) {
    this.graceNanos = grace.toNanos();
    this.nanoTime = nanoTime;
    this.phase = open ? FOLLOWING : CLOSED;
  }

  public boolean isOpen() {
    Phase now = phase;
    return now.caughtUp || (now.graceRunning && inside(now));
  }

  /** Whether hits are being served only because the stream dropped less than the grace ago. */
  public boolean inGrace() {
    Phase now = phase;
    return !now.caughtUp && now.graceRunning && inside(now);
  }

  public State state() {
    Phase now = phase;
    return now.caughtUp ? State.FOLLOWING : inGrace() ? State.GRACE : State.CLOSED;
  }

  /** Seconds since the stream dropped while hits are still served on grace, else 0. */
  public double secondsInGrace() {
    Phase now = phase;
    return !now.caughtUp && now.graceRunning && inside(now)
        ? (nanoTime.getAsLong() - now.graceStartNanos) / 1e9 : 0;
  }

  private boolean inside(Phase now) {
    return nanoTime.getAsLong() - now.graceStartNanos < graceNanos;
  }

  /** The replay is over on a live stream: every accepted purge has been applied. */
  void open() {
    phase = FOLLOWING;
  }

  /**
   * The stream dropped. The grace runs from the first drop after the node was caught up: a
   * stream that drops again before its replay finished does not start a new one.
   */
  void streamLost() {
    if (phase.caughtUp) {
      phase = graceNanos > 0 ? new Phase(false, true, nanoTime.getAsLong()) : CLOSED;
    }
  }
}
