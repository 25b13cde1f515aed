package io.edgecache.extproc.config;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

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
 * @param staleGrace how long the node keeps serving hits after its purge stream drops (a purge
 *     accepted meanwhile takes effect within this plus the replay); zero stops hits at once
 * @param standbyControlPlanes further control-plane replicas: the purge stream moves to the next
 *     address when one breaks or is refused, so it ends up at whichever replica leads
 */
public record PurgeConfig(
    InetSocketAddress controlPlane,
    String nodeId,
    String nodeGroup,
    String surrogateKeyField,
    String cacheTagField,
    Duration ruleRetention,
    Duration staleGrace,
    List<InetSocketAddress> standbyControlPlanes) {

  public PurgeConfig {
    standbyControlPlanes = List.copyOf(standbyControlPlanes);
  }

  /** The same settings as another node: {@code --node-id} per pod over a shared file. */
  public PurgeConfig withNodeId(String id) {
    return new PurgeConfig(controlPlane, id, nodeGroup, surrogateKeyField, cacheTagField,
        ruleRetention, staleGrace, standbyControlPlanes);
  }

  public static PurgeConfig defaults() {
    return new PurgeConfig(null, "", "", "surrogate-key", "cache-tag", Duration.ofDays(7),
        Duration.ofSeconds(30), List.of());
  }

  /** Whether this node follows a control plane's purge stream. */
  public boolean followsControlPlane() {
    return controlPlane != null;
  }

  /** The same settings with hits going on for {@code grace} after the purge stream drops. */
  public PurgeConfig withStaleGrace(Duration grace) {
    return new PurgeConfig(controlPlane, nodeId, nodeGroup, surrogateKeyField, cacheTagField,
        ruleRetention, grace, standbyControlPlanes);
  }

  /** The control plane first, then its standbys: the order the purge stream tries them. */
  public List<InetSocketAddress> controlPlanes() {
    List<InetSocketAddress> all = new ArrayList<>();
    all.add(controlPlane);
    all.addAll(standbyControlPlanes);
    return all;
  }
}
