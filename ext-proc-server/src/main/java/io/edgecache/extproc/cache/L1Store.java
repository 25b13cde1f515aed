package io.edgecache.extproc.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Clock;
import java.time.Duration;

/**
 * The in-memory tier: a Caffeine cache bounded by bytes, not entries, so a few large objects
 * cannot crowd the heap. An entry expires when it stops being fresh, because nothing in this
 * node can use a stale entry yet.
 */
public final class L1Store {

  private final Cache<String, CachedResponse> cache;
  private final Clock clock;

  public L1Store(long maxBytes, Clock clock) {
    this.clock = clock;
    Ticker ticker = () -> Duration.ofMillis(clock.millis()).toNanos();
    this.cache =
        Caffeine.newBuilder()
            .maximumWeight(maxBytes)
            .weigher((String key, CachedResponse entry) -> entry.weight(key))
            .expireAfter(new UntilStale(clock))
            .ticker(ticker)
            .executor(Runnable::run) // maintenance is cheap; no thread hop on the hit path
            .build();
  }

  /** The entry stored under {@code key}, fresh or not; null when there is none. */
  public CachedResponse get(CacheKey key) {
    return cache.getIfPresent(key.uri());
  }

  public void put(CacheKey key, CachedResponse entry) {
    if (entry.isFresh(clock.instant())) {
      cache.put(key.uri(), entry);
    }
  }

  public void invalidate(CacheKey key) {
    cache.invalidate(key.uri());
  }

  /** Total weight of the live entries, in bytes. */
  public long weightedSize() {
    return cache.policy().eviction().orElseThrow().weightedSize().orElse(0);
  }

  /** Entries expire exactly when their freshness runs out. */
  private static final class UntilStale implements Expiry<String, CachedResponse> {
    private final Clock clock;

    UntilStale(Clock clock) {
      this.clock = clock;
    }

    @Override
    public long expireAfterCreate(String key, CachedResponse entry, long currentTime) {
      return Math.max(0, entry.timeToLive(clock.instant()).toNanos());
    }

    @Override
    public long expireAfterUpdate(
        String key, CachedResponse entry, long currentTime, long currentDuration) {
      return expireAfterCreate(key, entry, currentTime);
    }

    @Override
    public long expireAfterRead(
        String key, CachedResponse entry, long currentTime, long currentDuration) {
      return currentDuration;
    }
  }
}
