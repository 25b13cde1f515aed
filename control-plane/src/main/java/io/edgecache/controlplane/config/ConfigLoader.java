package io.edgecache.controlplane.config;

import io.edgecache.config.ConfigException;
import io.edgecache.config.ConfigFiles;
import io.edgecache.config.YamlNode;
import io.edgecache.controlplane.config.EdgecacheConfig.ClusterSpec;
import io.edgecache.controlplane.config.EdgecacheConfig.ExtProc;
import io.edgecache.controlplane.config.EdgecacheConfig.ListenerSpec;
import io.edgecache.controlplane.config.EdgecacheConfig.NodeGroupSpec;
import io.edgecache.controlplane.config.EdgecacheConfig.Site;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads the control-plane configuration from one YAML file or from every {@code *.yaml} /
 * {@code *.yml} file of a directory (their lists are concatenated, in file-name order) and
 * validates all of it. The first problem found is thrown as a {@link ConfigException} naming the
 * file, the line and the field: unknown fields, missing or malformed values, duplicate names,
 * references to unknown clusters, sites or listeners, and regexes RE2 (Envoy's regex engine)
 * rejects. Each section has its reader ({@link ExtProcReader}, {@link ClusterReader},
 * {@link SiteReader}, {@link ListenerReader}, {@link NodeGroupReader}); this class finds the
 * files, merges their lists (and {@code extProc}'s fields, each set in one file) and resolves
 * names across sections.
 */
public final class ConfigLoader {
  // "purge", "tls" and "nodes" are read once at start by PurgeSettingsLoader and
  // SecuritySettingsLoader; the xDS reload ignores them.
  static final Set<String> TOP_LEVEL = Set.of("extProc", "clusters", "sites", "listeners", "nodeGroups",
      "purge", "tls", "nodes");

  private ConfigLoader() {}

  /** Loads {@code source}, a YAML file or a directory of them. */
  public static EdgecacheConfig load(Path source) throws ConfigException {
    return read(ConfigFiles.topLevel(source, TOP_LEVEL));
  }

  /**
   * A section that only one of the files may have: {@code candidate} (null when this file has
   * none) replaces {@code found} (null when no earlier file had it); a second one is an error.
   */
  static YamlNode once(YamlNode found, YamlNode candidate, String section) throws ConfigException {
    if (candidate == null) {
      return found;
    }
    if (found != null) {
      throw candidate.error(section + " is already defined at " + found.file() + ":" + found.line());
    }
    return candidate;
  }

  /** Reads the sections in reference order: routes name clusters, listeners sites, groups listeners. */
  private static EdgecacheConfig read(List<YamlNode.Fields> documents) throws ConfigException {
    // extProc's fields may be spread over the files (a component's tls.yaml adds extProc.tls).
    List<YamlNode.Fields> extProcParts = new ArrayList<>();
    for (YamlNode.Fields document : documents) {
      YamlNode node = document.optional("extProc");
      if (node != null) {
        extProcParts.add(node.mapping(ExtProcReader.FIELDS));
      }
    }
    if (extProcParts.isEmpty()) {
      throw new ConfigException(documents.isEmpty() ? "configuration is empty"
          : "extProc: required in one of the configuration files");
    }
    ExtProc extProc = ExtProcReader.read(YamlNode.Fields.union(extProcParts));
    Map<String, ClusterSpec> clusters = named(documents, "clusters", "cluster", ClusterReader::read,
        ClusterSpec::name);
    Map<String, Site> sites = named(documents, "sites", "site", new SiteReader(clusters.keySet())::read,
        Site::name);
    Map<String, ListenerSpec> listeners = named(documents, "listeners", "listener",
        new ListenerReader(sites)::read, ListenerSpec::name);
    Map<String, NodeGroupSpec> groups = named(documents, "nodeGroups", "node group",
        new NodeGroupReader(listeners.keySet())::read, NodeGroupSpec::name);
    if (groups.isEmpty()) {
      throw new ConfigException(extProcParts.get(0).node().file()
          + ": nodeGroups: at least one node group is required");
    }
    return new EdgecacheConfig(extProc, List.copyOf(clusters.values()), List.copyOf(sites.values()),
        List.copyOf(listeners.values()), List.copyOf(groups.values()));
  }

  /**
   * The items of the list {@code field} of every document, concatenated and read by
   * {@code reader}, by name in file order; a name seen twice is an error at the second item.
   */
  private static <T> Map<String, T> named(List<YamlNode.Fields> documents, String field, String kind,
      ItemReader<T> reader, Function<T, String> nameOf) throws ConfigException {
    List<YamlNode> items = new ArrayList<>();
    for (YamlNode.Fields document : documents) {
      items.addAll(document.list(field));
    }
    Map<String, T> byName = new LinkedHashMap<>();
    for (YamlNode item : items) {
      T value = reader.read(item);
      String name = nameOf.apply(value);
      if (byName.putIfAbsent(name, value) != null) {
        throw item.error("duplicate " + kind + " name '" + name + "'");
      }
    }
    return byName;
  }

  /** Reads one list item of a section. */
  @FunctionalInterface
  private interface ItemReader<T> {
    T read(YamlNode item) throws ConfigException;
  }
}
