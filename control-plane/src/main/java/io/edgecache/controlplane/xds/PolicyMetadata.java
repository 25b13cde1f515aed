package io.edgecache.controlplane.xds;

import com.google.protobuf.Duration;
import io.edgecache.controlplane.Sha256;
import io.edgecache.controlplane.config.EdgecacheConfig.CachePolicy;
import io.edgecache.controlplane.config.EdgecacheConfig.Route;
import io.edgecache.proto.policy.v1.HeaderNames;
import io.edgecache.proto.policy.v1.RoutePolicy;
import io.edgecache.proto.policy.v1.RoutePolicyMetadata;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import java.util.HexFormat;
import java.util.List;

/**
 * How a route's cache policy travels to the ext_proc server: as gRPC initial metadata on the
 * route's ext_proc stream ({@code ExtProcPerRoute.overrides.grpc_initial_metadata}), so each
 * request carries the policy of the route Envoy matched, a policy change is an ordinary RDS push,
 * and the ext_proc server needs no second channel to the control plane.
 *
 * <pre>
 * x-edgecache-policy:     demo/static@5d41402a    policy id (site/route) @ content version
 * x-edgecache-policy-bin: CgtkZW1vL3N0YXRpYxAC... edgecache.policy.v1.RoutePolicy, base64 in config
 * </pre>
 *
 * TTLs are whole seconds. The version is the first 8 hex digits of the SHA-256 of the serialized
 * policy, so it changes exactly when the policy does. {@link RoutePolicyMetadata} says how Envoy
 * carries the binary value; the ext_proc side decodes it in {@code io.edgecache.extproc.policy.remote}.
 */
public final class PolicyMetadata {
  private PolicyMetadata() {}

  /** The metadata entries for {@code route}'s ext_proc streams. */
  public static List<HeaderValue> entries(Route route) {
    RoutePolicy policy = policy(route.policyId(), route.cache());
    return List.of(
        HeaderValue.newBuilder().setKey(RoutePolicyMetadata.IDENTITY_KEY)
            .setValue(literal(route.policyId() + "@" + version(policy))).build(),
        HeaderValue.newBuilder().setKey(RoutePolicyMetadata.POLICY_KEY)
            .setValue(RoutePolicyMetadata.configValue(policy)).build());
  }

  /**
   * {@code text} for Envoy's header value formatter, which reads grpc initial metadata values:
   * there {@code %} starts a command, so a literal one is written {@code %%}. (The binary entry
   * needs no escaping: base64 holds no {@code %}.)
   */
  static String literal(String text) {
    return text.replace("%", "%%");
  }

  /** The control plane's configuration of a route as the typed policy the nodes receive. */
  static RoutePolicy policy(String policyId, CachePolicy cache) {
    RoutePolicy.Builder policy = RoutePolicy.newBuilder()
        .setPolicyId(policyId)
        .setMode(switch (cache.mode()) {
          case RESPECT_ORIGIN -> RoutePolicy.Mode.RESPECT_ORIGIN;
          case CACHE_EVERYTHING -> RoutePolicy.Mode.CACHE_EVERYTHING;
          case BYPASS -> RoutePolicy.Mode.BYPASS;
        })
        .setShareSetCookie(cache.shareResponsesWithSetCookie())
        .setCacheEverythingWithCredentials(cache.cacheEverythingWithCredentials())
        .setStoreCookieResponses(cache.storeResponsesToCookieRequests())
        .setStripHeaders(HeaderNames.newBuilder().addAllNames(cache.stripHeaders()))
        .setForwardExcludedQuery(cache.forwardExcludedQuery())
        .setStoreSetCookie(cache.storeSetCookie());
    cache.defaultTtl().ifPresent(ttl -> policy.setDefaultTtl(seconds(ttl)));
    cache.maxTtl().ifPresent(ttl -> policy.setMaxTtl(seconds(ttl)));
    return policy.build();
  }

  private static Duration seconds(java.time.Duration ttl) {
    return Duration.newBuilder().setSeconds(ttl.toSeconds()).build();
  }

  private static String version(RoutePolicy policy) {
    return HexFormat.of().formatHex(Sha256.of(policy.toByteArray()), 0, 4);
  }
}
