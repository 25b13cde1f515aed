package io.edgecache.controlplane.xds;

import io.edgecache.controlplane.Sha256;
import io.edgecache.controlplane.config.EdgecacheConfig.CachePolicy;
import io.edgecache.controlplane.config.EdgecacheConfig.Route;
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
 * x-edgecache-policy:      demo/static@5d41402a        policy id (site/route) @ content version
 * x-edgecache-policy-spec: mode=cache-everything; default-ttl=60; max-ttl=86400; share-set-cookie=false;
 *     cache-everything-with-credentials=false; store-cookie-responses=false;
 *     strip-headers=x-forwarded-host,x-host; forward-excluded-query=false; store-set-cookie=false
 * </pre>
 *
 * (the spec is one line). TTLs are whole seconds; a missing {@code default-ttl} or
 * {@code max-ttl} means unset; {@code strip-headers} is a comma-separated list, empty for none. The
 * version is the first 8 hex digits of the SHA-256 of the spec, so it changes exactly when the
 * policy does. The ext_proc side decodes this in {@code io.edgecache.extproc.policy.remote}.
 */
public final class PolicyMetadata {
  public static final String POLICY_KEY = "x-edgecache-policy";
  public static final String SPEC_KEY = "x-edgecache-policy-spec";

  private PolicyMetadata() {}

  /** The metadata entries for {@code route}'s ext_proc streams. */
  public static List<HeaderValue> entries(Route route) {
    String spec = spec(route.cache());
    return List.of(
        HeaderValue.newBuilder().setKey(POLICY_KEY).setValue(literal(route.policyId() + "@" + version(spec))).build(),
        HeaderValue.newBuilder().setKey(SPEC_KEY).setValue(literal(spec)).build());
  }

  /**
   * {@code text} for Envoy's header value formatter, which reads grpc initial metadata values:
   * there {@code %} starts a command, so a literal one is written {@code %%}.
   */
  static String literal(String text) {
    return text.replace("%", "%%");
  }

  static String spec(CachePolicy policy) {
    StringBuilder spec = new StringBuilder("mode=").append(policy.mode().text());
    policy.defaultTtl().ifPresent(ttl -> spec.append("; default-ttl=").append(ttl.toSeconds()));
    policy.maxTtl().ifPresent(ttl -> spec.append("; max-ttl=").append(ttl.toSeconds()));
    spec.append("; share-set-cookie=").append(policy.shareResponsesWithSetCookie());
    spec.append("; cache-everything-with-credentials=").append(policy.cacheEverythingWithCredentials());
    spec.append("; store-cookie-responses=").append(policy.storeResponsesToCookieRequests());
    // Field names are RFC 9110 tokens, which hold neither ',' nor ';'.
    spec.append("; strip-headers=").append(String.join(",", policy.stripHeaders()));
    spec.append("; forward-excluded-query=").append(policy.forwardExcludedQuery());
    spec.append("; store-set-cookie=").append(policy.storeSetCookie());
    return spec.toString();
  }

  private static String version(String spec) {
    return HexFormat.of().formatHex(Sha256.ofUtf8(spec), 0, 4);
  }
}
