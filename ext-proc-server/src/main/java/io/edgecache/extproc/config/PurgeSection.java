package io.edgecache.extproc.config;

import io.edgecache.config.ConfigException;
import io.edgecache.config.YamlNode;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads the YAML {@code purge} section into {@link PurgeConfig}. Omitted fields take
 * {@link PurgeConfig#defaults()}; errors name the file, line and field.
 */
final class PurgeSection {
  private static final Set<String> PURGE = Set.of("controlPlane", "nodeId", "nodeGroup",
      "surrogateKeyField", "cacheTagField", "ruleRetention", "staleGrace", "standbyControlPlanes");

  private PurgeSection() {}

  static PurgeConfig read(YamlNode node) throws ConfigException {
    PurgeConfig defaults = PurgeConfig.defaults();
    if (node == null) {
      return defaults;
    }
    YamlNode.Fields raw = node.mapping(PURGE);
    InetSocketAddress controlPlane = OptionalFields.address(raw.optional("controlPlane"), null);
    String nodeId = OptionalFields.string(raw, "nodeId", null);
    if (controlPlane != null && (nodeId == null || nodeId.isBlank())) {
      throw raw.error("nodeId", "required with purge.controlPlane");
    }
    return new PurgeConfig(
        controlPlane,
        nodeId == null ? defaults.nodeId() : nodeId.trim(),
        OptionalFields.string(raw, "nodeGroup", defaults.nodeGroup()).trim(),
        headerName(raw, "surrogateKeyField", defaults.surrogateKeyField()),
        headerName(raw, "cacheTagField", defaults.cacheTagField()),
        OptionalFields.duration(raw, "ruleRetention", defaults.ruleRetention()),
        OptionalFields.duration(raw, "staleGrace", defaults.staleGrace()),
        standbys(raw, controlPlane));
  }

  private static List<InetSocketAddress> standbys(YamlNode.Fields raw,
      InetSocketAddress controlPlane) throws ConfigException {
    List<YamlNode> items = raw.list("standbyControlPlanes");
    if (items.isEmpty()) {
      return List.of();
    }
    if (controlPlane == null) {
      throw raw.error("standbyControlPlanes", "needs purge.controlPlane");
    }
    List<InetSocketAddress> standbys = new ArrayList<>();
    for (YamlNode item : items) {
      standbys.add(item.hostPort().unresolved());
    }
    return standbys;
  }

  private static String headerName(YamlNode.Fields raw, String name, String fallback)
      throws ConfigException {
    YamlNode node = raw.optional(name);
    return node == null ? fallback : node.headerName();
  }
}
