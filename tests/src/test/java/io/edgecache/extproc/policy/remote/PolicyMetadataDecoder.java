package io.edgecache.extproc.policy.remote;

import java.util.Optional;

/** The cache node's own decoding of route-policy metadata, for tests outside its package. */
public final class PolicyMetadataDecoder {
  private PolicyMetadataDecoder() {}

  /**
   * What a node makes of an ext_proc stream carrying these two metadata values: the
   * {@code x-edgecache-policy} text and the {@code x-edgecache-policy-bin} bytes as grpc-java
   * delivers them.
   */
  public static Optional<RemotePolicy> decode(String policy, byte[] routePolicy) {
    return RemotePolicyDecoder.decode(policy, routePolicy);
  }
}
