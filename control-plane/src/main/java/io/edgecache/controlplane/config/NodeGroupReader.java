package io.edgecache.controlplane.config;

import io.edgecache.config.ConfigException;
import io.edgecache.config.YamlNode;
import io.edgecache.controlplane.config.EdgecacheConfig.NodeGroupSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Reads one item of {@code nodeGroups}: the listeners, already read, a group of nodes gets. */
final class NodeGroupReader {
  private static final Set<String> FIELDS = Set.of("name", "listeners");

  private final Set<String> listeners;

  /** {@code listeners}: the names a group may list. */
  NodeGroupReader(Set<String> listeners) {
    this.listeners = Set.copyOf(listeners);
  }

  NodeGroupSpec read(YamlNode node) throws ConfigException {
    YamlNode.Fields f = node.mapping(FIELDS);
    String name = f.required("name").name();
    List<String> names = new ArrayList<>();
    for (YamlNode item : f.list("listeners")) {
      if (!listeners.contains(item.name())) {
        throw item.error("unknown listener '" + item.name() + "'");
      }
      names.add(item.name());
    }
    if (names.isEmpty()) {
      throw f.required("listeners").error("at least one listener is required");
    }
    return new NodeGroupSpec(name, names);
  }
}
