package io.edgecache.controlplane.config;

import io.edgecache.config.ConfigException;
import io.edgecache.config.ConfigFiles;
import io.edgecache.config.YamlNode;
import io.edgecache.security.TlsFiles;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads the {@code tls} and {@code nodes} sections of the control-plane configuration (each in
 * at most one of its files; read once at start). File paths resolve against the file naming
 * them. With {@code tls}, {@code nodes.identities} is required: an identity not listed gets no
 * configuration and no purge stream. Errors name the file, the line and the field.
 */
public final class SecuritySettingsLoader {
  private static final Set<String> TLS = Set.of("certFile", "keyFile", "caFile", "refresh");
  private static final Set<String> NODES = Set.of("maxNodeIds", "identities");
  private static final Set<String> IDENTITY = Set.of("identity", "nodeIds", "groups");

  private SecuritySettingsLoader() {}

  /** The security settings of {@code source} (a file or directory). */
  public static SecuritySettings load(Path source) throws ConfigException {
    YamlNode tls = null;
    YamlNode nodes = null;
    for (YamlNode.Fields top : ConfigFiles.topLevel(source, ConfigLoader.TOP_LEVEL)) {
      tls = ConfigLoader.once(tls, top.optional("tls"), "tls");
      nodes = ConfigLoader.once(nodes, top.optional("nodes"), "nodes");
    }
    Optional<TlsFiles> files = tls == null ? Optional.empty() : Optional.of(tlsFiles(tls));
    NodeAccess access = nodes == null ? NodeAccess.open() : nodeAccess(nodes);
    if (files.isPresent() && access.identities().isEmpty()) {
      throw (nodes == null ? tls : nodes).error("nodes.identities is required with tls: list the certificate"
          + " identities (SPIFFE ID or CN) that may act as nodes");
    }
    if (files.isEmpty() && access.identities().isPresent()) {
      throw nodes.error("nodes.identities needs tls: without client certificates there is no identity");
    }
    return new SecuritySettings(files, access);
  }

  private static TlsFiles tlsFiles(YamlNode node) throws ConfigException {
    YamlNode.Fields f = node.mapping(TLS);
    Path base = Path.of(node.file()).toAbsolutePath().getParent();
    YamlNode refresh = f.optional("refresh");
    try {
      return new TlsFiles(base.resolve(f.required("certFile").name()), base.resolve(f.required("keyFile").name()),
          base.resolve(f.required("caFile").name()),
          refresh == null ? TlsFiles.DEFAULT_REFRESH : refresh.positiveDuration());
    } catch (IllegalArgumentException e) {
      throw node.error(e.getMessage());
    }
  }

  private static NodeAccess nodeAccess(YamlNode node) throws ConfigException {
    YamlNode.Fields f = node.mapping(NODES);
    int max = f.optional("maxNodeIds") == null ? NodeAccess.DEFAULT_MAX_NODE_IDS
        : f.optional("maxNodeIds").positiveInt();
    if (f.optional("identities") == null) {
      return new NodeAccess(max, Optional.empty());
    }
    Map<String, NodeAccess.Grant> grants = new LinkedHashMap<>();
    Map<String, String> ownerOfId = new HashMap<>();
    for (YamlNode item : f.list("identities")) {
      YamlNode.Fields i = item.mapping(IDENTITY);
      String identity = i.required("identity").name();
      if (grants.containsKey(identity)) {
        throw item.error("duplicate identity '" + identity + "'");
      }
      Set<String> nodeIds = names(i.list("nodeIds"));
      for (YamlNode id : i.list("nodeIds")) {
        String other = ownerOfId.putIfAbsent(id.name(), identity);
        if (other != null) {
          throw id.error("node id '" + id.name() + "' is already granted to '" + other + "'");
        }
      }
      grants.put(identity, new NodeAccess.Grant(nodeIds, names(i.list("groups"))));
    }
    if (grants.isEmpty()) {
      throw f.required("identities").error("list at least one identity (or omit identities for plaintext)");
    }
    return new NodeAccess(max, Optional.of(grants));
  }

  private static Set<String> names(List<YamlNode> items) throws ConfigException {
    Set<String> names = new LinkedHashSet<>();
    for (YamlNode item : items) {
      names.add(item.name());
    }
    return names;
  }
}
