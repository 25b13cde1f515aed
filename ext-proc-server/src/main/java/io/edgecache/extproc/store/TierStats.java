package io.edgecache.extproc.store;

import io.edgecache.extproc.telemetry.CacheMetrics;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one tier did: plain counters until they are exported as OpenTelemetry metrics. Latency
 * is summed over every call the tier was sent (reads, writes, removes), including those that
 * ran past their budget, and {@code calls} counts them, so the mean is their quotient.
 */
public final class TierStats implements CacheMetrics.TierFigures {

  final LongAdder hits = new LongAdder();
  final LongAdder misses = new LongAdder();
  final LongAdder bytesRead = new LongAdder();
  final LongAdder bytesWritten = new LongAdder();
  final LongAdder writes = new LongAdder();
  final LongAdder errors = new LongAdder();
  final LongAdder corrupt = new LongAdder();
  final LongAdder shedWrites = new LongAdder();
  final LongAdder skipped = new LongAdder();
  final LongAdder callNanos = new LongAdder();
  final LongAdder calls = new LongAdder();

  public long hits() {
    return hits.sum();
  }

  public long misses() {
    return misses.sum();
  }

  public long bytesRead() {
    return bytesRead.sum();
  }

  public long bytesWritten() {
    return bytesWritten.sum();
  }

  /** Writes the tier acknowledged. */
  public long writes() {
    return writes.sum();
  }

  /** Calls that failed or ran past their time budget. */
  public long errors() {
    return errors.sum();
  }

  /** Entries found corrupt or truncated, dropped from the tier. */
  public long corrupt() {
    return corrupt.sum();
  }

  /** Writes dropped because the tier's queue was full. */
  public long shedWrites() {
    return shedWrites.sum();
  }

  /** Calls not made because the tier's circuit breaker was open. */
  public long skipped() {
    return skipped.sum();
  }

  public long calls() {
    return calls.sum();
  }

  public long callNanos() {
    return callNanos.sum();
  }

  @Override
  public String toString() {
    return "hits=" + hits() + " misses=" + misses() + " bytesRead=" + bytesRead()
        + " writes=" + writes() + " bytesWritten=" + bytesWritten() + " errors=" + errors()
        + " corrupt=" + corrupt() + " shed=" + shedWrites() + " skipped=" + skipped();
  }
}
