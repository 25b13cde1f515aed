package io.edgecache.controlplane.xds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.edgecache.controlplane.config.EdgecacheConfig.CacheMode;
import io.edgecache.controlplane.config.EdgecacheConfig.CachePolicy;
import io.edgecache.proto.policy.v1.RoutePolicy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The control plane's CachePolicy as the RoutePolicy a node receives: every field, one mapping. */
class PolicyMetadataTest {

  @Test
  void everyModeHasItsProtoMode() {
    Map<CacheMode, RoutePolicy.Mode> expected = Map.of(CacheMode.RESPECT_ORIGIN, RoutePolicy.Mode.RESPECT_ORIGIN,
        CacheMode.CACHE_EVERYTHING, RoutePolicy.Mode.CACHE_EVERYTHING, CacheMode.BYPASS, RoutePolicy.Mode.BYPASS);
    for (CacheMode mode : CacheMode.values()) {
      CachePolicy cache = new CachePolicy(mode, Optional.empty(), Optional.empty(), false, false, false, List.of(),
          false, false);
      assertEquals(expected.get(mode), PolicyMetadata.policy("site/route", cache).getMode(), mode.name());
    }
  }

  /** TTLs travel as whole seconds, as the node has always read them; an unset TTL stays unset. */
  @Test
  void ttlsAreWholeSecondsAndUnsetStaysUnset() {
    CachePolicy cache = new CachePolicy(CacheMode.RESPECT_ORIGIN, Optional.of(Duration.ofMillis(1500)),
        Optional.empty(), false, false, false, List.of(), false, false);
    RoutePolicy policy = PolicyMetadata.policy("site/route", cache);
    assertEquals(1, policy.getDefaultTtl().getSeconds());
    assertEquals(0, policy.getDefaultTtl().getNanos());
    assertFalse(policy.hasMaxTtl());
  }

  /** Every defence is sent, so the control plane, not the node's route, decides it. */
  @Test
  void everyDefenceIsSentEvenAtItsDefault() {
    RoutePolicy policy = PolicyMetadata.policy("site/route", CachePolicy.DEFAULT);
    assertEquals(List.of(true, true, true, true, true), List.of(policy.hasCacheEverythingWithCredentials(),
        policy.hasStoreCookieResponses(), policy.hasStripHeaders(), policy.hasForwardExcludedQuery(),
        policy.hasStoreSetCookie()));
    assertEquals(CachePolicy.DEFAULT.stripHeaders(), policy.getStripHeaders().getNamesList());
  }
}
