package io.edgecache.bench.load;

import org.HdrHistogram.Histogram;

/**
 * What one measured run produced.
 *
 * @param requests requests that completed as expected inside the measurement window
 * @param errors requests that failed, got an unexpected answer, or (open loop) were never sent
 *     because too many were already outstanding
 * @param seconds length of the measurement window
 * @param latencyNanos latency of the successful requests
 */
public record LoadResult(long requests, long errors, double seconds, Histogram latencyNanos) {

  public double requestsPerSecond() {
    return requests / seconds;
  }

  /** The latency at {@code percentile} (0-100), in milliseconds. */
  public double millisAt(double percentile) {
    return latencyNanos.getValueAtPercentile(percentile) / 1e6;
  }
}
