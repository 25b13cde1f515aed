package io.edgecache.extproc.grpc;

import io.edgecache.extproc.telemetry.CacheMetrics;
import io.edgecache.extproc.telemetry.ExchangeTrace;
import io.edgecache.extproc.telemetry.Outcome;

/** How one request ends: counted once in the metrics, and reported to its trace. */
final class Tally {

  private final CacheMetrics metrics;
  private Outcome outcome;
  private boolean counted;
  private long bodyBytes;
  private int finalStatus;
  private Long finalTtl;

  Tally(CacheMetrics metrics) {
    this.metrics = metrics;
  }

  /**
   * Notes how the request ends. {@code last} when nothing can change it any more: it is
   * counted at once, so figures are current before the client has the response.
   */
  void settle(Outcome how, int status, long bytes, Long ttlSeconds, boolean last) {
    outcome = how;
    finalStatus = status;
    bodyBytes = bytes;
    finalTtl = ttlSeconds;
    if (last) {
      count();
    }
  }

  /** The stream ended: counts what was settled, and ends the trace ({@code finished} or not). */
  void close(ExchangeTrace trace, boolean finished) {
    count();
    if (finished) {
      trace.end(outcome, finalStatus, finalTtl);
    } else {
      trace.abandon();
    }
  }

  private void count() {
    if (outcome != null && !counted) {
      counted = true;
      metrics.request(outcome, bodyBytes);
    }
  }
}
