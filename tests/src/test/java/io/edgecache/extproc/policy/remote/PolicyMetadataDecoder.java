package io.edgecache.extproc.policy.remote;

import java.util.Optional;

/** The cache node's own decoding of route-policy metadata, for tests outside its package. */
public final class PolicyMetadataDecoder {
  private PolicyMetadataDecoder() {}

  /** What a node makes of an ext_proc stream carrying these two metadata values. */
  public static Optional<RemotePolicy> decode(String policy, String spec) {
    return RemotePolicyInterceptor.decode(policy, spec);
  }
}
