package io.edgecache.extproc.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * The in-memory tier: a Caffeine cache bounded by bytes, not entries, so a few large objects
 * cannot crowd the heap. Each primary key holds its Vary variants. A key expires when none of
 * its variants can be of use any more: fresh, servable stale, or worth a conditional request.
 */
public final class L1Store {

  /** What a lookup found. */
  public record Lookup(CachedResponse entry, boolean keyKnown) {}

  private static final Lookup NOTHING = new Lookup(null, false);

  /** Incomplete (206) responses get this share of the byte budget, on top of it. */
  private static final int PARTIALS_SHARE = 8;

  /** Each key's variants, as {@link Variants} stores them. */
  private final Cache<String, Object> cache;
  private final PartialStore partials;
  private volatile BiConsumer<String, CachedResponse> putListener = (uri, entry) -> { };

  /**
   * @param maxBytes the byte budget
   * @param revalidationWindow how long stale entries with validators are kept for revalidation
   * @param clock the time every freshness calculation uses
   */
  public L1Store(long maxBytes, Duration revalidationWindow, Clock clock) {
    Ticker ticker = () -> Duration.ofMillis(clock.millis()).toNanos();
    this.cache =
        Caffeine.newBuilder()
            .maximumWeight(maxBytes)
            .weigher((String key, Object variants) -> Variants.weight(variants, key))
            .expireAfter(new WhileUseful(clock, revalidationWindow))
            .ticker(ticker)
            .executor(Runnable::run) // maintenance is cheap; no thread hop on the hit path
            .build();
    this.partials = new PartialStore(Math.max(1, maxBytes / PARTIALS_SHARE), clock);
  }

  /** The incomplete responses held beside the complete ones (RFC 9111 §3.3). */
  public PartialStore partials() {
    return partials;
  }

  /** The newest variant under {@code key} that {@code matches} accepts. */
  public Lookup lookup(CacheKey key, Predicate<CachedResponse> matches) {
    Object variants = cache.getIfPresent(key.uri());
    if (variants == null) {
      return NOTHING;
    }
    return new Lookup(Variants.find(variants, matches), true);
  }

  /** The newest variant stored under {@code key}, or null. */
  public CachedResponse get(CacheKey key) {
    Object variants = cache.getIfPresent(key.uri());
    return variants == null ? null : Variants.entries(variants).get(0);
  }

  /** Every variant stored under {@code key}, newest first. */
  public List<CachedResponse> variants(CacheKey key) {
    Object variants = cache.getIfPresent(key.uri());
    return variants == null ? List.of() : Variants.entries(variants);
  }

  /** Stores {@code entry}, replacing the variant with the same secondary key. */
  public void put(CacheKey key, CachedResponse entry) {
    cache.asMap().compute(key.uri(),
        (k, existing) -> Variants.with(existing, entry));
    putListener.accept(key.uri(), entry);
  }

  /** Removes one variant, if it is still stored. */
  public void remove(CacheKey key, CachedResponse entry) {
    cache.asMap().computeIfPresent(key.uri(), (k, existing) -> Variants.without(existing, entry));
  }

  /** Removes every variant under {@code key}, and its incomplete responses. */
  public void invalidate(CacheKey key) {
    cache.invalidate(key.uri());
    partials.invalidate(key);
  }

  /** The URIs of the keys stored now (a live view; concurrent changes may or may not show). */
  public Set<String> uris() {
    return cache.asMap().keySet();
  }

  /**
   * Replaces each variant stored under {@code uri} by what {@code rewrite} returns for it (itself
   * when untouched, null to remove it).
   */
  public void rewrite(String uri, UnaryOperator<CachedResponse> rewrite) {
    cache.asMap().computeIfPresent(uri, (key, existing) -> Variants.rewritten(existing, rewrite));
  }

  /** Called with each entry stored, after it is stored (the purge tag index listens). */
  public void onPut(BiConsumer<String, CachedResponse> listener) {
    this.putListener = listener;
  }

  /** Total weight of the live entries, in bytes. */
  public long weightedSize() {
    return cache.policy().eviction().orElseThrow().weightedSize().orElse(0);
  }

  /** A key lives as long as its most useful variant. */
  private static final class WhileUseful implements Expiry<String, Object> {
    private final Clock clock;
    private final Duration revalidationWindow;

    WhileUseful(Clock clock, Duration revalidationWindow) {
      this.clock = clock;
      this.revalidationWindow = revalidationWindow;
    }

    @Override
    public long expireAfterCreate(String key, Object variants, long currentTime) {
      Duration longest = Duration.ZERO;
      for (CachedResponse entry : Variants.entries(variants)) {
        Duration useful = entry.usefulFor(clock.instant(), revalidationWindow);
        longest = useful.compareTo(longest) > 0 ? useful : longest;
      }
      return Nanos.of(longest); // an Expires in year 9999 is beyond a long's nanoseconds
    }

    @Override
    public long expireAfterUpdate(
        String key, Object variants, long currentTime, long currentDuration) {
      return expireAfterCreate(key, variants, currentTime);
    }

    @Override
    public long expireAfterRead(
        String key, Object variants, long currentTime, long currentDuration) {
      return currentDuration;
    }
  }
}
