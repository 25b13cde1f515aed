package io.edgecache.extproc.config;

import io.edgecache.config.ConfigException;
import io.edgecache.config.YamlNode;
import io.edgecache.security.TlsFiles;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Reads the YAML {@code tls} section into {@link NodeTls}: the node's certificate and key (its
 * identity towards Envoy and the control plane), the CA its peers' certificates must chain to,
 * the client identities the ext_proc port admits, and whether that port uses the certificate
 * ({@code extProcPort: mtls}, the default) or only the purge stream does ({@code plaintext}, for a
 * node its pod's Envoy calls over loopback). Absent means plaintext.
 */
final class TlsSection {
  private static final Set<String> TLS =
      Set.of("certFile", "keyFile", "caFile", "refresh", "allowedClients", "extProcPort");

  private TlsSection() {}

  /** @param listen the ext_proc port's address, which a plaintext port must keep on loopback */
  static NodeTls read(YamlNode node, InetSocketAddress listen) throws ConfigException {
    if (node == null) {
      return null;
    }
    YamlNode.Fields raw = node.mapping(TLS);
    Set<String> allowed = allowedClients(raw);
    boolean extProcMtls = extProcMtls(raw);
    NodeTls tls;
    try {
      tls = new NodeTls(new TlsFiles(path(raw, "certFile"), path(raw, "keyFile"),
          path(raw, "caFile"), OptionalFields.duration(raw, "refresh", TlsFiles.DEFAULT_REFRESH)),
          allowed, extProcMtls);
    } catch (IllegalArgumentException e) {
      // TlsFiles and NodeTls name the field first: "keyFile: cannot read /run/secrets/key"
      String[] fieldAndProblem = e.getMessage().split(": ", 2);
      throw raw.error(fieldAndProblem[0], fieldAndProblem[1]);
    }
    String unfit = tls.unfitFor(listen); // ServerConfig refuses it too, but without a line
    if (unfit != null) {
      throw raw.error("extProcPort", unfit);
    }
    return tls;
  }

  /** {@code mtls} (default) or {@code plaintext}. */
  private static boolean extProcMtls(YamlNode.Fields raw) throws ConfigException {
    String mode = OptionalFields.string(raw, "extProcPort", "mtls");
    return switch (mode) {
      case "mtls" -> true;
      case "plaintext" -> false;
      default -> throw raw.error("extProcPort", "expected mtls or plaintext, got '" + mode + "'");
    };
  }

  /** SPIFFE IDs or common names, each once; absent admits any certificate from the CA. */
  private static Set<String> allowedClients(YamlNode.Fields raw) throws ConfigException {
    YamlNode field = raw.optional("allowedClients");
    if (field == null) {
      return Set.of();
    }
    Set<String> identities = new LinkedHashSet<>();
    for (YamlNode item : field.list()) {
      String identity = item.string().trim();
      if (identity.isEmpty()) {
        throw item.error("an identity (a SPIFFE ID such as spiffe://cluster.local/ns/edge/sa/envoy,"
            + " or a certificate's common name) cannot be empty");
      }
      if (!identities.add(identity)) {
        throw item.error("'" + identity + "' is listed twice");
      }
    }
    if (identities.isEmpty()) {
      throw field.error("lists no identity, so no client could connect; list Envoy's identities,"
          + " or leave the field out to admit every certificate from caFile");
    }
    return identities;
  }

  private static Path path(YamlNode.Fields raw, String name) throws ConfigException {
    String text = OptionalFields.string(raw, name, null);
    return text == null || text.isBlank() ? null : Path.of(text.trim());
  }
}
