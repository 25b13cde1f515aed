package io.edgecache.extproc.config;

import io.edgecache.security.PlaintextWarning;
import io.edgecache.security.TlsFiles;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Set;

/**
 * The node's mTLS: its certificate, key and CA ({@link TlsFiles}), used on the ext_proc port
 * and on the purge stream to the control plane, and which client certificates the ext_proc port
 * admits. Whoever opens an ext_proc stream writes the cache, so where the CA signs more than
 * the proxies (a mesh CA signs every workload) {@code allowedClients} names the proxies. A node
 * whose only client is the Envoy of its own pod, on loopback, may keep the ext_proc port
 * plaintext and use the certificate for its purge stream alone ({@code extProcMtls} false; the
 * loader allows it only with a loopback {@code listen} address).
 *
 * @param files the PEM files
 * @param allowedClients the SPIFFE IDs or common names admitted on the ext_proc port; empty
 *     admits every certificate that chains to the CA file
 * @param extProcMtls whether the ext_proc port requires mTLS (else only the purge stream uses it)
 */
public record NodeTls(TlsFiles files, Set<String> allowedClients, boolean extProcMtls) {

  public NodeTls {
    Objects.requireNonNull(files, "files");
    allowedClients = Set.copyOf(allowedClients);
    if (!extProcMtls && !allowedClients.isEmpty()) {
      // "field: problem", as TlsFiles words its refusals, so the loader can point at the line.
      throw new IllegalArgumentException("allowedClients: admits clients of the ext_proc port,"
          + " which extProcPort: plaintext leaves without TLS; drop one of the two");
    }
  }

  /**
   * Why this cannot go with an ext_proc port listening on {@code listen}, or null when it can: a
   * plaintext port is for a node its pod's Envoy calls over loopback. {@link ServerConfig} holds
   * to it whatever set the address (the file, or {@code --listen} after it).
   */
  public String unfitFor(InetSocketAddress listen) {
    if (extProcMtls || PlaintextWarning.isLoopback(listen.getHostString())) {
      return null;
    }
    return "plaintext is for a node its pod's Envoy calls over loopback, and listen is "
        + listen.getHostString() + ":" + listen.getPort()
        + ": whoever reaches the port could write the cache";
  }

  /** mTLS on the ext_proc port and the purge stream, admitting {@code allowedClients}. */
  public NodeTls(TlsFiles files, Set<String> allowedClients) {
    this(files, allowedClients, true);
  }

  /** The files alone: every certificate from the CA is admitted. */
  public static NodeTls of(TlsFiles files) {
    return new NodeTls(files, Set.of());
  }
}
