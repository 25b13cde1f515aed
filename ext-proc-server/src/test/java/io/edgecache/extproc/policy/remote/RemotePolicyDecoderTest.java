package io.edgecache.extproc.policy.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import io.edgecache.extproc.config.RoutePolicy.Mode;
import io.edgecache.proto.policy.v1.HeaderNames;
import io.edgecache.proto.policy.v1.RoutePolicy;
import io.edgecache.proto.policy.v1.RoutePolicyMetadata;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What the node makes of each pushed policy: every field read, and anything it cannot trust rejected whole. */
class RemotePolicyDecoderTest {
  private static final RoutePolicy PUSHED = RoutePolicy.newBuilder()
      .setPolicyId("site/route")
      .setMode(RoutePolicy.Mode.CACHE_EVERYTHING)
      .setDefaultTtl(Duration.newBuilder().setSeconds(30))
      .setMaxTtl(Duration.newBuilder().setSeconds(3600))
      .setShareSetCookie(true)
      .setCacheEverythingWithCredentials(true)
      .setStoreCookieResponses(false)
      .setStripHeaders(HeaderNames.newBuilder().addNames("x-forwarded-host"))
      .setForwardExcludedQuery(true)
      .setStoreSetCookie(true)
      .build();

  @Test
  void readsEveryField() {
    RemotePolicy policy = decode(PUSHED).orElseThrow();
    assertEquals(new RemotePolicy("site/route", "0a1b2c3d", Mode.CACHE_EVERYTHING,
        Optional.of(java.time.Duration.ofSeconds(30)), Optional.of(java.time.Duration.ofHours(1)), true,
        new RemotePolicy.Defences(Optional.of(true), Optional.of(false), Optional.of(List.of("x-forwarded-host")),
            Optional.of(true), Optional.of(true))), policy);
  }

  /** A control plane that sends no defences leaves each to the node's route; an empty strip list is a value. */
  @Test
  void absentDefencesStayUnsetAndAnEmptyStripListIsSent() {
    RoutePolicy bare = RoutePolicy.newBuilder().setPolicyId("site/route").setMode(RoutePolicy.Mode.RESPECT_ORIGIN)
        .build();
    assertEquals(RemotePolicy.Defences.NONE, decode(bare).orElseThrow().defences());
    RoutePolicy stripsNone = bare.toBuilder().setStripHeaders(HeaderNames.getDefaultInstance()).build();
    assertEquals(Optional.of(List.of()), decode(stripsNone).orElseThrow().defences().stripHeaders());
  }

  @Test
  void rejectsWhatItCannotTrust() {
    assertRejected(PUSHED.toBuilder().setModeValue(9).build());
    assertRejected(PUSHED.toBuilder().clearMode().build());
    assertRejected(PUSHED.toBuilder().setDefaultTtl(Duration.newBuilder().setSeconds(-1)).build());
    assertRejected(PUSHED.toBuilder().setStripHeaders(HeaderNames.newBuilder().addNames("x-host").addNames(""))
        .build());
    assertRejected(PUSHED.toBuilder().setStripHeaders(HeaderNames.newBuilder().addNames("X-Host")).build());
    assertRejected(PUSHED.toBuilder().setShareSetCookie(false).build()); // stores Set-Cookie it may not share
    assertRejected(PUSHED.toBuilder().setPolicyId("site/other").build());
    assertTrue(RemotePolicyDecoder.decode("site/route@0a1b2c3d",
        "mode=cache-everything".getBytes(StandardCharsets.US_ASCII)).isEmpty());
    assertTrue(RemotePolicyDecoder.decode("site/route", RoutePolicyMetadata.configValue(PUSHED)
        .getBytes(StandardCharsets.US_ASCII)).isEmpty());
  }

  private static void assertRejected(RoutePolicy pushed) {
    assertTrue(decode(pushed).isEmpty(), pushed.toString());
  }

  private static Optional<RemotePolicy> decode(RoutePolicy pushed) {
    return RemotePolicyDecoder.decode("site/route@0a1b2c3d",
        RoutePolicyMetadata.configValue(pushed).getBytes(StandardCharsets.US_ASCII));
  }
}
