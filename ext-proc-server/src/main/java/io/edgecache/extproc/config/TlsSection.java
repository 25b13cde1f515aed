package io.edgecache.extproc.config;

import io.edgecache.security.TlsFiles;
import java.nio.file.Path;

/**
 * The YAML {@code tls} section as written, and its validation into {@link TlsFiles}: the node's
 * certificate and key (its identity towards Envoy and the control plane) and the CA its peers'
 * certificates must chain to. Absent means plaintext.
 */
final class TlsSection {

  public String certFile;
  public String keyFile;
  public String caFile;
  public String refresh;

  static TlsFiles validate(TlsSection raw) throws ConfigException {
    if (raw == null) {
      return null;
    }
    try {
      return new TlsFiles(path(raw.certFile), path(raw.keyFile), path(raw.caFile),
          ConfigValues.duration("tls.refresh", raw.refresh, TlsFiles.DEFAULT_REFRESH));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("tls." + e.getMessage());
    }
  }

  private static Path path(String text) {
    return text == null || text.isBlank() ? null : Path.of(text.trim());
  }
}
