package io.edgecache.extproc.config;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * How this node takes part in purges.
 *
 * @param controlPlane the control plane's gRPC address whose purge stream this node follows;
 *     null when the node follows none (purges then never reach it, and hits are never held back)
 * @param nodeId this node's identity towards the control plane (acks are counted per id)
 * @param nodeGroup the node group, as the xDS node cluster
 * @param surrogateKeyField response field holding space-separated surrogate keys (Fastly style)
 * @param cacheTagField response field holding comma-separated cache tags (Cloudflare style)
 * @param ruleRetention how long tag, prefix, host and whole-cache purges keep screening entries
 *     read back from the tiers below memory; keep it at least as long as entries live there
 */
public record PurgeConfig(
    InetSocketAddress controlPlane,
    String nodeId,
    String nodeGroup,
    String surrogateKeyField,
    String cacheTagField,
    Duration ruleRetention) {

  /** The same settings as another node: {@code --node-id} per pod over a shared file. */
  public PurgeConfig withNodeId(String id) {
    return new PurgeConfig(controlPlane, id, nodeGroup, surrogateKeyField, cacheTagField,
        ruleRetention);
  }

  public static PurgeConfig defaults() {
    return new PurgeConfig(null, "", "", "surrogate-key", "cache-tag", Duration.ofDays(7));
  }

  /** Whether this node follows a control plane's purge stream. */
  public boolean followsControlPlane() {
    return controlPlane != null;
  }
}
