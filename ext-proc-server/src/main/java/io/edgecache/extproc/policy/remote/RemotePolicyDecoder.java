package io.edgecache.extproc.policy.remote;

import com.google.protobuf.InvalidProtocolBufferException;
import io.edgecache.extproc.config.RoutePolicy;
import io.edgecache.http.UnkeyedRequestHeaders;
import io.edgecache.proto.policy.v1.RoutePolicyMetadata;
import io.edgecache.security.WarningThrottle;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The one place the node turns a pushed {@code edgecache.policy.v1.RoutePolicy} into its
 * {@link RemotePolicy}. A policy it cannot trust is rejected whole, with a (throttled) warning naming why,
 * and the node's own route policy decides: an unknown or missing mode, a negative TTL, a strip
 * header that is not a lower-case field name, {@code store_set_cookie} without
 * {@code share_set_cookie} (the control plane refuses that at load), or an id that disagrees
 * with the {@code x-edgecache-policy} entry. Fields a newer control plane adds are ignored.
 */
final class RemotePolicyDecoder {
  /** Rejections are logged at most once a minute: an authenticated peer can vary what it sends. */
  private static final WarningThrottle warnings = new WarningThrottle(
      Logger.getLogger(RemotePolicyDecoder.class.getName()), Duration.ofMinutes(1));

  private RemotePolicyDecoder() {}

  /**
   * {@code identity} ({@code site/route@version}) and {@code policy} (the {@code -bin} value as
   * grpc-java delivers it) as the stream's policy; empty when either is malformed.
   */
  static Optional<RemotePolicy> decode(String identity, byte[] policy) {
    int at = identity.lastIndexOf('@');
    if (at <= 0 || at == identity.length() - 1) {
      warnings.warn(() -> "ignoring malformed " + RoutePolicyMetadata.IDENTITY_KEY + " metadata: " + identity);
      return Optional.empty();
    }
    try {
      return Optional.of(remotePolicy(identity.substring(0, at), identity.substring(at + 1),
          RoutePolicyMetadata.parse(policy)));
    } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
      warnings.warn(() -> "ignoring the route policy pushed as " + identity + ": " + e.getMessage());
      return Optional.empty();
    }
  }

  private static RemotePolicy remotePolicy(String policyId, String version,
      io.edgecache.proto.policy.v1.RoutePolicy pushed) {
    if (!pushed.getPolicyId().equals(policyId)) {
      throw new IllegalArgumentException("policy_id '" + pushed.getPolicyId() + "' is not " + policyId);
    }
    if (pushed.getStoreSetCookie() && !pushed.getShareSetCookie()) {
      throw new IllegalArgumentException("store_set_cookie without share_set_cookie");
    }
    return new RemotePolicy(policyId, version, mode(pushed),
        pushed.hasDefaultTtl() ? Optional.of(ttl("default_ttl", pushed.getDefaultTtl())) : Optional.empty(),
        pushed.hasMaxTtl() ? Optional.of(ttl("max_ttl", pushed.getMaxTtl())) : Optional.empty(),
        pushed.getShareSetCookie(),
        new RemotePolicy.Defences(
            pushed.hasCacheEverythingWithCredentials()
                ? Optional.of(pushed.getCacheEverythingWithCredentials()) : Optional.empty(),
            pushed.hasStoreCookieResponses() ? Optional.of(pushed.getStoreCookieResponses()) : Optional.empty(),
            pushed.hasStripHeaders()
                ? Optional.of(fieldNames(pushed.getStripHeaders().getNamesList())) : Optional.empty(),
            pushed.hasForwardExcludedQuery() ? Optional.of(pushed.getForwardExcludedQuery()) : Optional.empty(),
            pushed.hasStoreSetCookie() ? Optional.of(pushed.getStoreSetCookie()) : Optional.empty()));
  }

  private static RoutePolicy.Mode mode(io.edgecache.proto.policy.v1.RoutePolicy pushed) {
    return switch (pushed.getMode()) {
      case RESPECT_ORIGIN -> RoutePolicy.Mode.RESPECT_ORIGIN;
      case CACHE_EVERYTHING -> RoutePolicy.Mode.CACHE_EVERYTHING;
      case BYPASS -> RoutePolicy.Mode.BYPASS;
      case MODE_UNSPECIFIED, UNRECOGNIZED ->
          throw new IllegalArgumentException("unknown mode " + pushed.getModeValue());
    };
  }

  private static Duration ttl(String field, com.google.protobuf.Duration pushed) {
    Duration ttl = Duration.ofSeconds(pushed.getSeconds(), pushed.getNanos());
    if (ttl.isNegative()) {
      throw new IllegalArgumentException(field + " is negative: " + ttl);
    }
    return ttl;
  }

  /**
   * Lower-case header field names, nothing else: these guard against cache poisoning, so a
   * garbled name must not silently strip nothing (the whole policy is then ignored).
   */
  private static List<String> fieldNames(List<String> names) {
    for (String name : names) {
      if (!UnkeyedRequestHeaders.isLowerCaseFieldName(name)) {
        throw new IllegalArgumentException("strip_headers: not a lower-case header field name: '" + name + "'");
      }
    }
    return names;
  }
}
