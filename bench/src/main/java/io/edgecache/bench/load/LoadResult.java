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
 * @param serverCpuNanos CPU time the server under test spent in the window, or -1 when the
 *     run did not measure it
 * @param serverAllocatedBytes heap the server under test allocated in the window, or -1 when
 *     the run did not measure it: unlike CPU time, barely moved by a noisy machine
 */
public record LoadResult(long requests, long errors, double seconds, Histogram latencyNanos,
    long serverCpuNanos, long serverAllocatedBytes) {

  public double requestsPerSecond() {
    return requests / seconds;
  }

  /** Server CPU per successful request in microseconds, or NaN when not measured. */
  public double serverCpuMicrosPerRequest() {
    return serverCpuNanos < 0 || requests == 0 ? Double.NaN : serverCpuNanos / 1e3 / requests;
  }

  /** Server heap allocation per successful request in bytes, or NaN when not measured. */
  public double serverBytesPerRequest() {
    return serverAllocatedBytes < 0 || requests == 0 ? Double.NaN
        : (double) serverAllocatedBytes / requests;
  }

  /** The latency at {@code percentile} (0-100), in milliseconds. */
  public double millisAt(double percentile) {
    return latencyNanos.getValueAtPercentile(percentile) / 1e6;
  }
}
