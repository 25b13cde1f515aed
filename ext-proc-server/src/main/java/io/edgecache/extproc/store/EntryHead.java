package io.edgecache.extproc.store;

import com.google.protobuf.ByteString;
import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.cache.ReuseRules;
import io.edgecache.extproc.fields.HeaderList;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * Everything a stored entry holds except its body: what a reader needs before the first body
 * byte, so a large body can be streamed after it.
 *
 * @param key the store key ({@link io.edgecache.extproc.cache.CacheKey#uri()})
 * @param rules what the response's directives allow on reuse (stale windows, revalidation)
 * @param bodyLength the exact number of body bytes that follow the head
 */
public record EntryHead(
    String key,
    int status,
    HeaderList headers,
    Instant responseTime,
    Duration correctedInitialAge,
    Duration freshnessLifetime,
    ReuseRules rules,
    Map<String, String> varyValues,
    long bodyLength) {

  /** The head of {@code entry} as stored under {@code key}. */
  public static EntryHead of(String key, CachedResponse entry) {
    return new EntryHead(key, entry.status(), entry.headers(), entry.responseTime(),
        entry.correctedInitialAge(), entry.freshnessLifetime(), entry.rules(),
        entry.varyValues(), entry.bodyLength());
  }

  /** The entry this head describes, without its body, which a lower tier streams. */
  public CachedResponse toHeadOnly() {
    return new CachedResponse(status, headers, ByteString.EMPTY, responseTime,
        correctedInitialAge, freshnessLifetime, varyValues, rules, bodyLength);
  }

  /** current_age per RFC 9111 §4.2.3, as {@link CachedResponse#currentAge(Instant)}. */
  public Duration currentAge(Instant now) {
    return CachedResponse.currentAge(responseTime, correctedInitialAge, now);
  }
}
