package io.edgecache.extproc.config;

import io.edgecache.config.ConfigException;
import io.edgecache.config.YamlNode;
import io.edgecache.security.TlsFiles;
import java.nio.file.Path;
import java.util.Set;

/**
 * Reads the YAML {@code tls} section into {@link TlsFiles}: the node's certificate and key (its
 * identity towards Envoy and the control plane) and the CA its peers' certificates must chain
 * to. Absent means plaintext.
 */
final class TlsSection {
  private static final Set<String> TLS = Set.of("certFile", "keyFile", "caFile", "refresh");

  private TlsSection() {}

  static TlsFiles read(YamlNode node) throws ConfigException {
    if (node == null) {
      return null;
    }
    YamlNode.Fields raw = node.mapping(TLS);
    try {
      return new TlsFiles(path(raw, "certFile"), path(raw, "keyFile"), path(raw, "caFile"),
          OptionalFields.duration(raw, "refresh", TlsFiles.DEFAULT_REFRESH));
    } catch (IllegalArgumentException e) {
      // TlsFiles names the field first: "keyFile: cannot read /run/secrets/key"
      String[] fieldAndProblem = e.getMessage().split(": ", 2);
      throw raw.error(fieldAndProblem[0], fieldAndProblem[1]);
    }
  }

  private static Path path(YamlNode.Fields raw, String name) throws ConfigException {
    String text = OptionalFields.string(raw, name, null);
    return text == null || text.isBlank() ? null : Path.of(text.trim());
  }
}
