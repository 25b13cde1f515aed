package io.edgecache.extproc.policy;

import io.edgecache.extproc.cache.ReuseRules;
import io.edgecache.extproc.fields.HeaderList;
import java.time.Duration;

/**
 * Whether a response may be stored, and if so what is stored.
 *
 * @param storable whether it may be stored
 * @param reason a Cache-Status {@code detail} token when it may not, else null
 * @param storedHeaders the header fields to store (only when storable)
 * @param freshnessLifetime the freshness lifetime (only when storable)
 * @param rules what its directives allow on reuse (only when storable)
 * @param correctedInitialAge its age on arrival (RFC 9111 §4.2.3), computed once for the
 *     verdict and reused for the stored entry and its Cache-Status ttl (only when storable)
 */
public record StoreVerdict(
    boolean storable,
    String reason,
    HeaderList storedHeaders,
    Duration freshnessLifetime,
    ReuseRules rules,
    Duration correctedInitialAge) {

  /**
   * A reply Envoy made itself (its router's 404, 503 or 504, another filter's denial): never
   * stored, since no origin answered the request; Cache-Status says {@code detail=envoy-reply}.
   */
  public static final StoreVerdict ENVOY_REPLY = refuse("envoy-reply");

  static StoreVerdict refuse(String reason) {
    return new StoreVerdict(false, reason, null, Duration.ZERO, ReuseRules.NONE, Duration.ZERO);
  }

  static StoreVerdict store(HeaderList storedHeaders, Duration freshnessLifetime,
      ReuseRules rules, Duration correctedInitialAge) {
    return new StoreVerdict(true, null, storedHeaders, freshnessLifetime, rules,
        correctedInitialAge);
  }
}
