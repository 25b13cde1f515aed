package io.edgecache.controlplane.config;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which peers may act as nodes, from the {@code nodes} section.
 *
 * @param maxNodeIds how many node ids the control plane tracks at once (per plane: xDS and
 *     purge); beyond it, an id is admitted only by forgetting one that has no live stream
 * @param identities by certificate identity (SPIFFE ID or CN), what it may claim; empty when
 *     the section lists none, in which case every peer is admitted (plaintext demo)
 */
public record NodeAccess(int maxNodeIds, Optional<Map<String, Grant>> identities) {

  /** The bound when the configuration does not set one: a large fleet, a small heap. */
  public static final int DEFAULT_MAX_NODE_IDS = 1000;

  public NodeAccess {
    identities = identities.map(Map::copyOf);
  }

  /** Anyone may be any node; the number of node ids is still bounded. */
  public static NodeAccess open() {
    return new NodeAccess(DEFAULT_MAX_NODE_IDS, Optional.empty());
  }

  /**
   * What one identity may claim.
   *
   * @param nodeIds the node ids it may use; empty for any (each id is then bound to the first
   *     identity that claims it)
   * @param groups the node groups whose configuration it may receive; empty for any
   */
  public record Grant(Set<String> nodeIds, Set<String> groups) {
    public Grant {
      nodeIds = Set.copyOf(nodeIds);
      groups = Set.copyOf(groups);
    }
  }
}
