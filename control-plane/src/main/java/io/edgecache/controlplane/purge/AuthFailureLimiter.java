package io.edgecache.controlplane.purge;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Limits failed authentications per source address, so the admin API cannot be used to guess
 * tokens: each source may fail {@value #BURST} times at once, then once every
 * {@value #REFILL_SECONDS} s; past that it is answered 429 without its token being checked.
 * Sources are forgotten oldest first beyond {@value #MAX_SOURCES}, so the table stays bounded.
 */
final class AuthFailureLimiter {

  static final int BURST = 10;
  static final int REFILL_SECONDS = 6;
  private static final int MAX_SOURCES = 10_000;

  private final LongSupplier nanoTime;
  private final Map<String, double[]> sources = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, double[]> eldest) {
      return size() > MAX_SOURCES;
    }
  };

  AuthFailureLimiter(LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
  }

  /** 429 when {@code source} has no failures left. */
  synchronized void check(String source) throws AdminError {
    if (allowance(source) < 1) {
      throw AdminError.rateLimited("too many failed authentications from " + source
          + "; retry in " + REFILL_SECONDS + " s");
    }
  }

  /** Counts one failed authentication from {@code source}. */
  synchronized void failed(String source) {
    allowance(source);
    double[] bucket = sources.get(source);
    bucket[0] = Math.max(0, bucket[0] - 1);
  }

  /** The source's remaining failures, refilled to now; bucket = {allowance, refilled at}. */
  private double allowance(String source) {
    long now = nanoTime.getAsLong();
    double[] bucket = sources.computeIfAbsent(source, s -> new double[] {BURST, now});
    bucket[0] = Math.min(BURST, bucket[0] + (now - bucket[1]) / 1e9 / REFILL_SECONDS);
    bucket[1] = now;
    return bucket[0];
  }
}
