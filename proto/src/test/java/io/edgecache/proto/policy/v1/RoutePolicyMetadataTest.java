package io.edgecache.proto.policy.v1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class RoutePolicyMetadataTest {
  private static final RoutePolicy POLICY = RoutePolicy.newBuilder()
      .setPolicyId("site/route")
      .setMode(RoutePolicy.Mode.CACHE_EVERYTHING)
      .setDefaultTtl(Duration.newBuilder().setSeconds(60))
      .setStripHeaders(HeaderNames.newBuilder().addNames("x-forwarded-host"))
      .setStoreSetCookie(false)
      .build();

  /** Envoy's formatter reads the config value, and a config string must be printable ASCII. */
  @Test
  void theConfigValueIsPrintableAsciiWithoutFormatterCommands() {
    String value = RoutePolicyMetadata.configValue(POLICY);
    assertTrue(value.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != '%'), value);
  }

  /** An Envoy that base64-encodes {@code -bin} values: grpc-java hands the node the config text. */
  @Test
  void readsTheConfigTextAsACurrentEnvoySendsIt() throws Exception {
    byte[] received = RoutePolicyMetadata.configValue(POLICY).getBytes(StandardCharsets.US_ASCII);
    assertEquals(POLICY, RoutePolicyMetadata.parse(received));
  }

  /** An Envoy gRPC client from before envoyproxy/envoy#39026 sends the config text as the wire value. */
  @Test
  void readsTheSerializedPolicyAsAnOlderEnvoySendsIt() throws Exception {
    byte[] received = Base64.getDecoder().decode(RoutePolicyMetadata.configValue(POLICY));
    assertEquals(POLICY, RoutePolicyMetadata.parse(received));
  }

  @Test
  void rejectsWhatIsNeither() {
    assertThrows(InvalidProtocolBufferException.class,
        () -> RoutePolicyMetadata.parse("mode=respect-origin; default-ttl=60".getBytes(StandardCharsets.US_ASCII)));
    assertThrows(InvalidProtocolBufferException.class, () -> RoutePolicyMetadata.parse(new byte[] {0x0a, 0x7f}));
  }

  @Test
  void aPolicyWithoutItsIdIsNotPushed() {
    assertThrows(IllegalArgumentException.class,
        () -> RoutePolicyMetadata.configValue(POLICY.toBuilder().clearPolicyId().build()));
  }
}
