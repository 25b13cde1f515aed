package io.edgecache.extproc.cache;

import com.google.protobuf.ByteString;
import io.edgecache.extproc.http.HeaderList;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * A stored response and what is needed to judge its freshness later.
 *
 * @param status the origin's status code
 * @param headers the end-to-end header fields to replay (no hop-by-hop fields, no Age)
 * @param body the complete body, or empty when the body is too large to be held in memory
 *     and is streamed from a lower tier instead (see {@link #bodyInMemory()})
 * @param responseTime when the response headers reached the cache (RFC 9111 §4.2.3)
 * @param correctedInitialAge the response's age when it arrived (RFC 9111 §4.2.3)
 * @param freshnessLifetime how long it is fresh (RFC 9111 §4.2.1)
 * @param varyValues the request's values of each field named by Vary, normalised; empty when
 *     the response has no Vary
 * @param rules what its directives allow on reuse
 * @param bodyLength the body's length in bytes, wherever it is held
 */
public record CachedResponse(
    int status,
    HeaderList headers,
    ByteString body,
    Instant responseTime,
    Duration correctedInitialAge,
    Duration freshnessLifetime,
    Map<String, String> varyValues,
    ReuseRules rules,
    long bodyLength) {

  /** A response whose whole body is held in memory. */
  public CachedResponse(int status, HeaderList headers, ByteString body, Instant responseTime,
      Duration correctedInitialAge, Duration freshnessLifetime, Map<String, String> varyValues,
      ReuseRules rules) {
    this(status, headers, body, responseTime, correctedInitialAge, freshnessLifetime,
        varyValues, rules, body.size());
  }

  /** Whether {@link #body()} holds the body; if not, a lower tier streams it. */
  public boolean bodyInMemory() {
    return body.size() == bodyLength;
  }

  /**
   * Heap an entry costs beyond its key, header and body characters: the objects that hold them
   * plus Caffeine's node. Measured, not guessed (bench's L1MemoryMain: ~710 B at 1 M entries),
   * so l1MaxBytes bounds the real heap instead of undercounting small entries severalfold.
   */
  private static final int FIXED_OVERHEAD_BYTES = 720;

  /** current_age per RFC 9111 §4.2.3: initial age plus the time it has been resident. */
  public Duration currentAge(Instant now) {
    return currentAge(responseTime, correctedInitialAge, now);
  }

  /**
   * current_age per RFC 9111 §4.2.3 of a response that arrived at {@code responseTime} aged
   * {@code correctedInitialAge}; shared with the stored head, which has no body to wrap.
   */
  public static Duration currentAge(Instant responseTime, Duration correctedInitialAge,
      Instant now) {
    Duration resident = Duration.between(responseTime, now);
    if (resident.isNegative()) {
      resident = Duration.ZERO;
    }
    return correctedInitialAge.plus(resident);
  }

  /** Freshness left at {@code now}; zero or negative once stale. */
  public Duration timeToLive(Instant now) {
    return freshnessLifetime.minus(currentAge(now));
  }

  /**
   * Whole seconds of freshness left, as Cache-Status {@code ttl} reports it: counted from the
   * whole-second Age the client sees, so {@code Age + ttl} is always the freshness lifetime.
   */
  public long ttlSeconds(Instant now) {
    return freshnessLifetime.getSeconds() - currentAge(now).getSeconds();
  }

  /**
   * How long a tier should keep the entry from {@code now}: its remaining freshness plus the
   * longer stale window, since a stale entry may still be served or revalidated in it.
   */
  public Duration timeToKeep(Instant now) {
    return timeToLive(now).plus(rules.staleAllowance());
  }

  public boolean isFresh(Instant now) {
    return timeToLive(now).compareTo(Duration.ZERO) > 0;
  }

  /** Whether it carries a validator a conditional request can use (RFC 9111 §4.3.1). */
  public boolean hasValidator() {
    return headers.contains("etag") || headers.contains("last-modified");
  }

  /**
   * How long after {@code now} the entry can still be of use: while fresh, while a stale rule
   * may serve it, and, when it has a validator, {@code revalidationWindow} more for a cheap
   * conditional refresh.
   */
  public Duration usefulFor(Instant now, Duration revalidationWindow) {
    Duration useful = timeToKeep(now);
    if (hasValidator()) {
      useful = useful.plus(revalidationWindow);
    }
    return useful.isNegative() ? Duration.ZERO : useful;
  }

  /**
   * This response made stale from {@code moment} on (a soft purge): its freshness lifetime ends
   * there, so the stale rules it carries (stale-while-revalidate, stale-if-error) and its
   * validators still apply. Itself when it is already stale by then.
   */
  public CachedResponse staleFrom(Instant moment) {
    Duration ageThen = currentAge(moment);
    if (freshnessLifetime.compareTo(ageThen) <= 0) {
      return this;
    }
    return new CachedResponse(status, headers, body, responseTime, correctedInitialAge, ageThen,
        varyValues, rules, bodyLength);
  }

  /** Bytes this entry costs the L1 cache. */
  public int weight(String key) {
    return FIXED_OVERHEAD_BYTES + key.length() + headers.byteSize() + body.size();
  }
}
