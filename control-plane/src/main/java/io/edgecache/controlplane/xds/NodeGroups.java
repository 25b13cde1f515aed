package io.edgecache.controlplane.xds;

import com.google.protobuf.Value;
import io.envoyproxy.controlplane.cache.NodeGroup;
import io.envoyproxy.envoy.config.core.v3.Node;

/**
 * Which snapshot a node gets: the group named by its metadata field
 * {@value #METADATA_KEY} when set (so one Envoy cluster can be split), else its
 * {@code node.cluster} (Envoy's {@code --service-cluster}).
 */
public final class NodeGroups implements NodeGroup<String> {
  public static final String METADATA_KEY = "edgecache_node_group";

  @Override
  public String hash(Node node) {
    Value group = node.getMetadata().getFieldsMap().get(METADATA_KEY);
    if (group != null && group.hasStringValue() && !group.getStringValue().isEmpty()) {
      return group.getStringValue();
    }
    return node.getCluster();
  }
}
