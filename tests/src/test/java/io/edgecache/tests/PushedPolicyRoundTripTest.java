package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.controlplane.config.EdgecacheConfig;
import io.edgecache.controlplane.config.EdgecacheConfig.CacheMode;
import io.edgecache.controlplane.xds.PolicyMetadata;
import io.edgecache.edge.extproc.InitialMetadata;
import io.edgecache.extproc.config.RoutePolicy;
import io.edgecache.extproc.policy.remote.PolicyMetadataDecoder;
import io.edgecache.extproc.policy.remote.RemotePolicy;
import io.edgecache.proto.policy.v1.HeaderNames;
import io.edgecache.proto.policy.v1.RoutePolicyMetadata;
import io.grpc.Metadata;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * A route policy as the control plane encodes it ({@link PolicyMetadata}), read by Envoy's
 * header value formatter and sent as binary metadata (local-edge's {@link InitialMetadata}, which
 * undoes the {@code %%} escaping) and decoded by the cache node: every field arrives, and the
 * pushed values win over the node's own route.
 */
class PushedPolicyRoundTripTest {

  /** The node's own route: every defence the opposite of what the control plane pushes. */
  private static final RoutePolicy LOCAL = RoutePolicy.builder().cacheEverythingWithCredentials(false)
      .storeResponsesToCookieRequests(false).stripHeaders(List.of("x-local")).forwardExcludedQuery(false).build();

  @Test
  void everyPushedFieldArrivesAndWinsOverTheNodesRoute() {
    EdgecacheConfig.CachePolicy pushed = new EdgecacheConfig.CachePolicy(CacheMode.CACHE_EVERYTHING,
        Optional.of(Duration.ofSeconds(30)), Optional.of(Duration.ofHours(1)), true, true, true,
        List.of("x-forwarded-host", "x-odd%name"), true, true);

    RoutePolicy effective = decoded(pushed).applyTo(LOCAL);

    assertEquals(RoutePolicy.Mode.CACHE_EVERYTHING, effective.mode());
    assertEquals(Duration.ofSeconds(30), effective.defaultTtl());
    assertEquals(Duration.ofHours(1), effective.maxTtl());
    assertTrue(effective.shareResponsesWithSetCookie());
    assertTrue(effective.cacheEverythingWithCredentials());
    assertTrue(effective.storeResponsesToCookieRequests());
    assertEquals(List.of("x-forwarded-host", "x-odd%name"), effective.stripHeaders());
    assertTrue(effective.forwardExcludedQuery());
    assertTrue(effective.storeSetCookie());
  }

  @Test
  void theControlPlanesDefaultsAreTheNodesSafeDefaults() {
    RoutePolicy effective = decoded(EdgecacheConfig.CachePolicy.DEFAULT)
        .applyTo(RoutePolicy.builder().storeResponsesToCookieRequests(true).forwardExcludedQuery(true)
            .shareResponsesWithSetCookie(true).storeSetCookie(true).build());

    assertFalse(effective.cacheEverythingWithCredentials());
    assertFalse(effective.storeResponsesToCookieRequests());
    assertEquals(RoutePolicy.DEFAULT_STRIP_HEADERS, effective.stripHeaders());
    assertFalse(effective.forwardExcludedQuery());
    assertFalse(effective.shareResponsesWithSetCookie());
    assertFalse(effective.storeSetCookie());
  }

  @Test
  void anEmptyStripListIsCarried() {
    EdgecacheConfig.CachePolicy pushed = new EdgecacheConfig.CachePolicy(CacheMode.RESPECT_ORIGIN,
        Optional.empty(), Optional.empty(), false, false, false, List.of(), false, false);
    assertEquals(List.of(), decoded(pushed).applyTo(LOCAL).stripHeaders());
  }

  /** A control plane that predates the defences sends none: the node's route keeps deciding. */
  @Test
  void aSpecWithoutTheDefencesLeavesTheNodesRoute() {
    RemotePolicy older = PolicyMetadataDecoder.decode("site/route@0a1b2c3d",
        respectOrigin(p -> p.setDefaultTtl(com.google.protobuf.Duration.newBuilder().setSeconds(60))
            .setShareSetCookie(false))).orElseThrow();
    RoutePolicy local = RoutePolicy.builder().storeResponsesToCookieRequests(true).forwardExcludedQuery(true)
        .cacheEverythingWithCredentials(true).stripHeaders(List.of("x-local")).build();

    RoutePolicy effective = older.applyTo(local);

    assertTrue(effective.cacheEverythingWithCredentials());
    assertTrue(effective.storeResponsesToCookieRequests());
    assertEquals(List.of("x-local"), effective.stripHeaders());
    assertTrue(effective.forwardExcludedQuery());
  }

  /** A control plane that predates store-set-cookie leaves the node's route storing Set-Cookie or not. */
  @Test
  void aSpecWithoutStoreSetCookieLeavesTheNodesRoute() {
    RemotePolicy older = PolicyMetadataDecoder.decode("site/route@0a1b2c3d",
        respectOrigin(p -> p.setShareSetCookie(true))).orElseThrow();
    RoutePolicy local = RoutePolicy.builder().shareResponsesWithSetCookie(true).storeSetCookie(true).build();

    assertTrue(older.applyTo(local).storeSetCookie());
    assertFalse(older.applyTo(RoutePolicy.DEFAULT).storeSetCookie());
  }

  /**
   * A garbled policy makes the node ignore the whole pushed policy rather than read it as false:
   * one that is not a RoutePolicy (the old text spec), a strip list of non-names, an unknown mode.
   */
  @Test
  void aMalformedDefenceIsRejected() {
    assertTrue(PolicyMetadataDecoder.decode("site/route@0a1b2c3d",
        "mode=respect-origin; store-cookie-responses=yes".getBytes(StandardCharsets.US_ASCII)).isEmpty());
    assertTrue(PolicyMetadataDecoder.decode("site/route@0a1b2c3d",
        respectOrigin(p -> p.setStripHeaders(HeaderNames.newBuilder().addNames("x-host").addNames("")
            .addNames("x forwarded")))).isEmpty());
    assertTrue(PolicyMetadataDecoder.decode("site/route@0a1b2c3d",
        respectOrigin(p -> p.setShareSetCookie(true).setStoreSetCookie(true).setModeValue(9))).isEmpty());
    // storing Set-Cookie on a route that does not share it: the control plane never sends this
    assertTrue(PolicyMetadataDecoder.decode("site/route@0a1b2c3d",
        respectOrigin(p -> p.setShareSetCookie(false).setStoreSetCookie(true))).isEmpty());
  }

  private static RemotePolicy decoded(EdgecacheConfig.CachePolicy cache) {
    EdgecacheConfig.Route route = new EdgecacheConfig.Route("route", "site/route",
        new EdgecacheConfig.RouteMatch(Optional.of("/"), Optional.empty(), Optional.empty(), List.of()),
        "origin", Duration.ofSeconds(15), cache);
    InitialMetadata formatted = InitialMetadata.of(List.of(), PolicyMetadata.entries(route));
    assertEquals(null, formatted.problem());
    Metadata metadata = formatted.metadata();
    String identity = metadata.get(Metadata.Key.of(RoutePolicyMetadata.IDENTITY_KEY, Metadata.ASCII_STRING_MARSHALLER));
    byte[] policy = metadata.get(Metadata.Key.of(RoutePolicyMetadata.POLICY_KEY, Metadata.BINARY_BYTE_MARSHALLER));
    return PolicyMetadataDecoder.decode(identity, policy).orElseThrow(() -> new AssertionError("ignored: " + metadata));
  }

  /** A respect-origin policy for site/route with {@code fields} set, as the node receives it. */
  private static byte[] respectOrigin(UnaryOperator<io.edgecache.proto.policy.v1.RoutePolicy.Builder> fields) {
    io.edgecache.proto.policy.v1.RoutePolicy pushed = fields.apply(io.edgecache.proto.policy.v1.RoutePolicy.newBuilder()
        .setPolicyId("site/route").setMode(io.edgecache.proto.policy.v1.RoutePolicy.Mode.RESPECT_ORIGIN)).build();
    return RoutePolicyMetadata.configValue(pushed).getBytes(StandardCharsets.US_ASCII);
  }
}
