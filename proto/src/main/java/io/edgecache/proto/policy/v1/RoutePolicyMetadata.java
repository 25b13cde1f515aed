package io.edgecache.proto.policy.v1;

import com.google.protobuf.InvalidProtocolBufferException;
import java.util.Base64;

/**
 * How a {@link RoutePolicy} travels in the gRPC initial metadata of a route's ext_proc streams
 * ({@code ExtProcPerRoute.overrides.grpc_initial_metadata}): the one place that knows the keys and
 * the encoding, used by the control plane to write Envoy config and by the cache node to read
 * what arrives.
 *
 * <p>What Envoy does with a {@code -bin} key's value (Envoy source, checked for this class):
 * <ul>
 *   <li>Both of Envoy's gRPC clients build initial metadata with {@code Router::HeaderParser}, which
 *       reads {@code HeaderValue.value} through the header value formatter and never
 *       {@code raw_value} ({@code source/common/router/header_parser.cc},
 *       {@code parseHttpHeaderFormatter}). A config string cannot carry arbitrary bytes (it must be
 *       UTF-8, and Envoy refuses NUL, CR and LF in header values), and {@code %} starts a formatter
 *       command.
 *   <li>Envoy gRPC: since envoyproxy/envoy#39026 (2025) {@code AsyncStreamImpl::initialize}
 *       base64-encodes every {@code -bin} value before sending ({@code base64EscapeBinHeaders} in
 *       {@code source/common/grpc/async_client_impl.cc}), as the gRPC HTTP/2 spec requires; older
 *       releases (1.32 and before) send the value as written.
 *   <li>Google gRPC: the value goes to {@code grpc::ClientContext::AddMetadata} and the gRPC library
 *       base64-encodes it on the wire ({@code async_client_manager_impl.cc} leaves {@code -bin}
 *       values unchecked: "handled by the GRPC library").
 * </ul>
 * So the value written in config is the binary value itself, and the only bytes every Envoy can
 * carry are ASCII without {@code %}: the control plane writes the base64 text of the serialized
 * policy ({@link #configValue}). A current Envoy sends base64 of that text; an older Envoy gRPC
 * client sends the text itself. grpc-java undoes one base64 layer of a {@code -bin} key, so the
 * node receives either the base64 text or the serialized policy, and {@link #parse} accepts both:
 * a serialized policy starts with byte {@code 0x0a} (field 1, {@code policy_id}, always set), which
 * is not a base64 character.
 */
public final class RoutePolicyMetadata {
  /** Human-readable identity, {@code site/route@version}; the version changes with the policy. */
  public static final String IDENTITY_KEY = "x-edgecache-policy";
  /** The serialized {@link RoutePolicy}. */
  public static final String POLICY_KEY = "x-edgecache-policy-bin";

  /** The tag byte of field 1 ({@code policy_id}, length-delimited), which a serialized policy starts with. */
  private static final byte POLICY_ID_TAG = (1 << 3) | 2;

  private RoutePolicyMetadata() {}

  /** {@code policy} as the {@link #POLICY_KEY} value of an Envoy {@code HeaderValue}. */
  public static String configValue(RoutePolicy policy) {
    if (policy.getPolicyId().isEmpty()) {
      throw new IllegalArgumentException("a pushed route policy needs its policy_id");
    }
    return Base64.getEncoder().encodeToString(policy.toByteArray());
  }

  /**
   * The policy in a received {@link #POLICY_KEY} value, as Envoy sent it with or without its
   * own base64 layer (see the class comment).
   *
   * @throws InvalidProtocolBufferException when the value is neither
   */
  public static RoutePolicy parse(byte[] received) throws InvalidProtocolBufferException {
    if (received.length > 0 && received[0] == POLICY_ID_TAG) {
      return RoutePolicy.parseFrom(received);
    }
    try {
      return RoutePolicy.parseFrom(Base64.getDecoder().decode(received));
    } catch (IllegalArgumentException e) {
      throw new InvalidProtocolBufferException("neither a serialized RoutePolicy nor its base64 text");
    }
  }
}
