package io.edgecache.extproc.store;

import java.time.Clock;
import java.time.Duration;

/**
 * Keeps calls away from a failing tier: CLOSED lets calls through; {@code failureThreshold}
 * consecutive failures OPEN it; after {@code coolDown} one probe call is let through
 * (HALF_OPEN), whose success closes the breaker and whose failure opens it again.
 */
public final class CircuitBreaker {

  public enum State { CLOSED, OPEN, HALF_OPEN }

  private final int failureThreshold;
  private final Duration coolDown;
  private final Clock clock;

  private State state = State.CLOSED;
  private int consecutiveFailures;
  private long openedAtMillis;

  public CircuitBreaker(int failureThreshold, Duration coolDown, Clock clock) {
    this.failureThreshold = failureThreshold;
    this.coolDown = coolDown;
    this.clock = clock;
  }

  /** Whether a call may be made now; true at most once per cool-down while not closed. */
  public synchronized boolean tryAcquire() {
    switch (state) {
      case CLOSED:
        return true;
      case OPEN:
        if (clock.millis() - openedAtMillis >= coolDown.toMillis()) {
          state = State.HALF_OPEN;
          return true;
        }
        return false;
      default:
        return false; // a probe is in flight
    }
  }

  public synchronized void onSuccess() {
    state = State.CLOSED;
    consecutiveFailures = 0;
  }

  public synchronized void onFailure() {
    consecutiveFailures++;
    if (state == State.HALF_OPEN || consecutiveFailures >= failureThreshold) {
      state = State.OPEN;
      openedAtMillis = clock.millis();
    }
  }

  public synchronized State state() {
    return state;
  }
}
