package io.edgecache.bench.load;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.HdrHistogram.Recorder;

/**
 * Drives a {@link RequestTarget} for a warm-up period and then a measurement window.
 *
 * <ul>
 *   <li><b>Closed loop</b>: a fixed number of requests in flight; each completion sends the
 *       next. Measures the maximum throughput; its latency hides queueing (coordinated
 *       omission), so it is not the latency figure to quote.
 *   <li><b>Open loop</b>: requests are due at a fixed rate whether or not earlier ones have
 *       finished, and latency is counted from when a request was due, not when it was sent.
 *       This is the latency figure to quote.
 * </ul>
 */
public final class LoadGenerator {

  /** How long a run waits for its stragglers, so the next run starts on an idle target. */
  private static final Duration DRAIN = Duration.ofSeconds(10);

  private final RequestTarget target;
  private final LongSupplier serverCpuNanos;
  private final LongSupplier serverAllocatedBytes;

  public LoadGenerator(RequestTarget target) {
    this(target, () -> -1, () -> -1);
  }

  /**
   * @param serverCpuNanos a clock of the CPU time the server under test has used (-1 when
   *     unknown), read at the start and end of a closed loop's measurement window
   * @param serverAllocatedBytes a running total of the heap the server under test has
   *     allocated (-1 when unknown), read at the same moments
   */
  public LoadGenerator(RequestTarget target, LongSupplier serverCpuNanos,
      LongSupplier serverAllocatedBytes) {
    this.target = target;
    this.serverCpuNanos = serverCpuNanos;
    this.serverAllocatedBytes = serverAllocatedBytes;
  }

  public LoadResult closedLoop(int concurrency, Duration warmup, Duration measure)
      throws InterruptedException {
    Window window = new Window(warmup, measure);
    for (int i = 0; i < concurrency; i++) {
      sendChained(window);
    }
    TimeUnit.NANOSECONDS.sleep(Math.max(0, window.measureStart - System.nanoTime()));
    long cpuAtStart = serverCpuNanos.getAsLong();
    long bytesAtStart = serverAllocatedBytes.getAsLong();
    TimeUnit.NANOSECONDS.sleep(Math.max(0, window.end - System.nanoTime()));
    long cpuAtEnd = serverCpuNanos.getAsLong();
    long bytesAtEnd = serverAllocatedBytes.getAsLong();
    return window.finish(cpuAtStart < 0 ? -1 : cpuAtEnd - cpuAtStart,
        bytesAtStart < 0 ? -1 : bytesAtEnd - bytesAtStart);
  }

  /**
   * Sends {@code ratePerSecond} requests per second. A request due while {@code
   * maxOutstanding} are unanswered is not sent and counts as an error: the target is
   * overloaded and the figures say so instead of queueing without bound.
   */
  public LoadResult openLoop(double ratePerSecond, int maxOutstanding, Duration warmup,
      Duration measure) throws InterruptedException {
    Window window = new Window(warmup, measure);
    double periodNanos = 1e9 / ratePerSecond;
    for (long i = 0; ; i++) {
      long due = window.start + (long) (i * periodNanos);
      if (due >= window.end) {
        break;
      }
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      if (window.outstanding.get() >= maxOutstanding) {
        window.shed(due);
        continue;
      }
      window.outstanding.incrementAndGet();
      target.issue(ok -> window.record(due, System.nanoTime(), ok));
    }
    return window.finish(-1, -1);
  }

  private void sendChained(Window window) {
    long sent = System.nanoTime();
    window.outstanding.incrementAndGet();
    target.issue(ok -> {
      long now = System.nanoTime();
      window.record(sent, now, ok);
      if (now < window.end) {
        sendChained(window);
      }
    });
  }

  /** Counts what starts and ends inside the measurement window. */
  private static final class Window {
    final long start = System.nanoTime();
    final long measureStart;
    final long end;
    final Recorder latency = new Recorder(3);
    final LongAdder completed = new LongAdder();
    final LongAdder errors = new LongAdder();
    final AtomicInteger outstanding = new AtomicInteger();

    Window(Duration warmup, Duration measure) {
      measureStart = start + warmup.toNanos();
      end = measureStart + measure.toNanos();
    }

    void record(long startNanos, long endNanos, boolean ok) {
      outstanding.decrementAndGet();
      if (startNanos < measureStart || endNanos > end) {
        return;
      }
      if (ok) {
        latency.recordValue(endNanos - startNanos);
        completed.increment();
      } else {
        errors.increment();
      }
    }

    void shed(long due) {
      if (due >= measureStart) {
        errors.increment();
      }
    }

    LoadResult finish(long serverCpuNanos, long serverAllocatedBytes)
        throws InterruptedException {
      long remaining = end - System.nanoTime();
      if (remaining > 0) {
        TimeUnit.NANOSECONDS.sleep(remaining);
      }
      long drainDeadline = System.nanoTime() + DRAIN.toNanos();
      while (outstanding.get() > 0 && System.nanoTime() < drainDeadline) {
        TimeUnit.MILLISECONDS.sleep(10);
      }
      errors.add(outstanding.get()); // never answered: lost
      return new LoadResult(completed.sum(), errors.sum(), (end - measureStart) / 1e9,
          latency.getIntervalHistogram(), serverCpuNanos, serverAllocatedBytes);
    }
  }
}
