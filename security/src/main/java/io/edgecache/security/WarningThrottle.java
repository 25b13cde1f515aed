package io.edgecache.security;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * At most one warning per interval. What it holds back is counted into the next warning it
 * lets through, so a peer that keeps varying a bad input shows up in the log without flooding
 * it. Lock-free: a warning that loses the race for the slot is counted as held back.
 */
public final class WarningThrottle {

  private final Logger log;
  private final long intervalNanos;
  private final AtomicLong nextAllowed;
  private final AtomicLong heldBack = new AtomicLong();
  private final LongSupplier nanoTime;

  public WarningThrottle(Logger log, Duration interval) {
    this(log, interval, System::nanoTime);
  }

  /** With the clock tests move. */
  public WarningThrottle(Logger log, Duration interval, LongSupplier nanoTime) {
    this.log = log;
    this.intervalNanos = interval.toNanos();
    this.nanoTime = nanoTime;
    this.nextAllowed = new AtomicLong(nanoTime.getAsLong());
  }

  public void warn(Supplier<String> message) {
    long now = nanoTime.getAsLong();
    long next = nextAllowed.get();
    if (now - next < 0 || !nextAllowed.compareAndSet(next, now + intervalNanos)) {
      heldBack.incrementAndGet();
      return;
    }
    long held = heldBack.getAndSet(0);
    log.warning(() -> message.get()
        + (held == 0 ? "" : " (" + held + " more such warnings held back before this one)"));
  }
}
