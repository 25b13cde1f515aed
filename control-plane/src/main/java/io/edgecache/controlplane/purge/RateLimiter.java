package io.edgecache.controlplane.purge;

import io.edgecache.controlplane.config.PurgeSettings;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/** One token bucket per admin token: {@code burst} calls at once, refilled at {@code perSecond}. */
final class RateLimiter {

  private final PurgeSettings.RateLimit limit;
  private final LongSupplier nanoTime;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  RateLimiter(PurgeSettings.RateLimit limit, LongSupplier nanoTime) {
    this.limit = limit;
    this.nanoTime = nanoTime;
  }

  /** Takes one call from {@code tokenName}'s bucket; 429 when it is empty. */
  void acquire(String tokenName) throws AdminError {
    Bucket bucket = buckets.computeIfAbsent(tokenName, name -> new Bucket(limit.burst(), nanoTime.getAsLong()));
    if (!bucket.take(limit, nanoTime.getAsLong())) {
      throw AdminError.rateLimited("rate limit of " + limit.perSecond() + "/s (burst " + limit.burst()
          + ") exceeded for token '" + tokenName + "'");
    }
  }

  private static final class Bucket {
    private double available;
    private long refilledAt;

    Bucket(double available, long now) {
      this.available = available;
      this.refilledAt = now;
    }

    synchronized boolean take(PurgeSettings.RateLimit limit, long now) {
      available = Math.min(limit.burst(), available + (now - refilledAt) / 1e9 * limit.perSecond());
      refilledAt = now;
      if (available < 1) {
        return false;
      }
      available -= 1;
      return true;
    }
  }
}
