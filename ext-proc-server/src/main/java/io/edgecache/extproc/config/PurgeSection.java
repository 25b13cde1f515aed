package io.edgecache.extproc.config;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The YAML {@code purge} section as written, and its validation into {@link PurgeConfig}.
 * Omitted fields take {@link PurgeConfig#defaults()}; errors name the field.
 */
final class PurgeSection {

  public String controlPlane;
  public String nodeId;
  public String nodeGroup;
  public String surrogateKeyField;
  public String cacheTagField;
  public String ruleRetention;
  public String staleGrace;
  public List<String> standbyControlPlanes;

  static PurgeConfig validate(PurgeSection raw) throws ConfigException {
    PurgeConfig defaults = PurgeConfig.defaults();
    if (raw == null) {
      return defaults;
    }
    InetSocketAddress controlPlane = raw.controlPlane == null
        ? null : ConfigValues.hostAndPort("purge.controlPlane", raw.controlPlane);
    if (controlPlane != null && (raw.nodeId == null || raw.nodeId.isBlank())) {
      throw new ConfigException("purge.nodeId: required with purge.controlPlane");
    }
    return new PurgeConfig(
        controlPlane,
        raw.nodeId == null ? defaults.nodeId() : raw.nodeId.trim(),
        raw.nodeGroup == null ? defaults.nodeGroup() : raw.nodeGroup.trim(),
        fieldName("purge.surrogateKeyField", raw.surrogateKeyField, defaults.surrogateKeyField()),
        fieldName("purge.cacheTagField", raw.cacheTagField, defaults.cacheTagField()),
        ConfigValues.duration("purge.ruleRetention", raw.ruleRetention, defaults.ruleRetention()),
        ConfigValues.duration("purge.staleGrace", raw.staleGrace, defaults.staleGrace()),
        standbys(raw.standbyControlPlanes, controlPlane));
  }

  private static List<InetSocketAddress> standbys(List<String> raw, InetSocketAddress controlPlane)
      throws ConfigException {
    if (raw == null || raw.isEmpty()) {
      return List.of();
    }
    if (controlPlane == null) {
      throw new ConfigException("purge.standbyControlPlanes: needs purge.controlPlane");
    }
    List<InetSocketAddress> standbys = new ArrayList<>();
    for (int i = 0; i < raw.size(); i++) {
      String field = "purge.standbyControlPlanes[" + i + "]";
      standbys.add(ConfigValues.hostAndPort(field, raw.get(i) == null ? "" : raw.get(i)));
    }
    return standbys;
  }

  private static String fieldName(String field, String text, String fallback)
      throws ConfigException {
    return text == null ? fallback : ConfigValues.headerFieldName(field, text);
  }
}
