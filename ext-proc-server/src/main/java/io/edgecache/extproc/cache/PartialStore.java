package io.edgecache.extproc.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import com.google.protobuf.ByteString;
import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * Incomplete responses (206 parts) held in memory (RFC 9111 §3.3), one representation per
 * URL, and combined (§3.4) with later parts of the same representation: same strong ETag and
 * complete length. Once the parts cover the whole, the caller gets a complete response to
 * store like any other, and the parts are dropped. Parts live only in memory and go with any
 * invalidation or purge of their URL.
 */
public final class PartialStore {

  /**
   * A stored incomplete response.
   *
   * @param head the representation as a 200 would be stored (no Content-Range), with an empty
   *     body and {@code bodyLength} its complete length; its freshness is the newest part's
   * @param parts the bytes held, by first offset; never overlapping or adjacent
   */
  public record Partial(CachedResponse head, NavigableMap<Long, ByteString> parts) {

    /** The bytes {@code first..last} (inclusive) when one held part covers them, else null. */
    public ByteString slice(long first, long last) {
      Map.Entry<Long, ByteString> part = parts.floorEntry(first);
      if (part == null || part.getKey() + part.getValue().size() <= last) {
        return null;
      }
      return part.getValue().substring((int) (first - part.getKey()),
          (int) (last - part.getKey() + 1));
    }

    int weight(String key) {
      int weight = head.weight(key);
      for (ByteString part : parts.values()) {
        weight += part.size();
      }
      return weight;
    }
  }

  private final Cache<String, Partial> cache;

  /**
   * @param maxBytes the byte budget for all parts
   * @param clock the time freshness is judged by
   */
  public PartialStore(long maxBytes, Clock clock) {
    Ticker ticker = () -> Duration.ofMillis(clock.millis()).toNanos();
    this.cache = Caffeine.newBuilder()
        .maximumWeight(maxBytes)
        .weigher((String key, Partial partial) -> partial.weight(key))
        .expireAfter(new WhileServable(clock))
        .ticker(ticker)
        .executor(Runnable::run)
        .build();
  }

  /** The incomplete response stored under {@code key} if {@code matches} accepts it. */
  public Partial find(CacheKey key, Predicate<CachedResponse> matches) {
    Partial partial = cache.getIfPresent(key.uri());
    return partial != null && matches.test(partial.head()) ? partial : null;
  }

  /**
   * Adds the bytes of one part, starting at {@code first}, of the representation {@code head}
   * describes. It combines with the stored parts when both carry the same strong ETag and
   * length (§3.4); otherwise it replaces them, being the newer. Returns the complete response
   * when the parts now cover all of it (then nothing stays here), else null.
   */
  public CachedResponse add(CacheKey key, CachedResponse head, long first, ByteString bytes) {
    CachedResponse[] complete = new CachedResponse[1];
    cache.asMap().compute(key.uri(), (uri, stored) -> {
      NavigableMap<Long, ByteString> parts = stored != null && sameRepresentation(stored, head)
          ? new TreeMap<>(stored.parts()) : new TreeMap<>();
      merge(parts, first, bytes);
      Map.Entry<Long, ByteString> only = parts.firstEntry();
      if (parts.size() == 1 && only.getKey() == 0 && only.getValue().size() == head.bodyLength()) {
        complete[0] = new CachedResponse(200, head.headers(), only.getValue(),
            head.responseTime(), head.correctedInitialAge(), head.freshnessLifetime(),
            head.varyValues(), head.rules());
        return null;
      }
      return new Partial(head, Collections.unmodifiableNavigableMap(parts));
    });
    return complete[0];
  }

  /** Drops the parts stored under {@code key}. */
  public void invalidate(CacheKey key) {
    cache.invalidate(key.uri());
  }

  /** Drops every part: after a purge, which may cover any of them. */
  public void invalidateAll() {
    cache.invalidateAll();
  }

  private static boolean sameRepresentation(Partial stored, CachedResponse head) {
    String etag = head.headers().first("etag");
    return etag != null && !etag.startsWith("W/")
        && etag.equals(stored.head().headers().first("etag"))
        && stored.head().bodyLength() == head.bodyLength()
        && stored.head().varyValues().equals(head.varyValues());
  }

  /** Puts {@code bytes} at {@code first} into {@code parts}, joining what touches it. */
  private static void merge(NavigableMap<Long, ByteString> parts, long first, ByteString bytes) {
    long start = first;
    ByteString data = bytes;
    Map.Entry<Long, ByteString> before = parts.floorEntry(start);
    if (before != null && before.getKey() + before.getValue().size() >= start) {
      data = joined(before.getKey(), before.getValue(), start, data);
      start = before.getKey();
      parts.remove(before.getKey());
    }
    for (Map.Entry<Long, ByteString> after = parts.ceilingEntry(start);
        after != null && after.getKey() <= start + data.size();
        after = parts.ceilingEntry(start)) {
      data = joined(start, data, after.getKey(), after.getValue());
      parts.remove(after.getKey());
    }
    parts.put(start, data);
  }

  /** Two touching or overlapping runs as one; {@code aStart <= bStart <= aStart + a.size()}. */
  private static ByteString joined(long aStart, ByteString a, long bStart, ByteString b) {
    long aEnd = aStart + a.size();
    long bEnd = bStart + b.size();
    return bEnd <= aEnd ? a : a.concat(b.substring((int) (aEnd - bStart)));
  }

  /** Parts are kept while the newest could still be served: fresh or within its stale rules. */
  private static final class WhileServable implements Expiry<String, Partial> {
    private final Clock clock;

    WhileServable(Clock clock) {
      this.clock = clock;
    }

    @Override
    public long expireAfterCreate(String key, Partial partial, long currentTime) {
      return Nanos.of(partial.head().usefulFor(clock.instant(), Duration.ZERO));
    }

    @Override
    public long expireAfterUpdate(String key, Partial partial, long currentTime,
        long currentDuration) {
      return expireAfterCreate(key, partial, currentTime);
    }

    @Override
    public long expireAfterRead(String key, Partial partial, long currentTime,
        long currentDuration) {
      return currentDuration;
    }
  }
}
