package io.edgecache.security;

import io.grpc.util.AdvancedTlsX509TrustManager;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Set;
import java.util.logging.Logger;
import javax.net.ssl.SSLEngine;

/**
 * Admits, during the TLS handshake, only client certificates whose {@link PeerIdentity} is
 * listed. A CA often signs more than the peers a port is for (a mesh CA signs every workload),
 * and on the ext_proc port whoever opens a stream writes the cache: checking the identity in
 * the handshake refuses the others before any stream exists, and costs the calls nothing.
 * Runs after the chain has been verified against the CA file. Refusals are logged at WARNING,
 * at most once a second, with the identity escaped.
 */
final class AllowedClients implements AdvancedTlsX509TrustManager.SslSocketAndEnginePeerVerifier {

  private static final Logger log = Logger.getLogger(AllowedClients.class.getName());

  private final Set<String> identities;
  private final String port;
  private final WarningThrottle refusals = new WarningThrottle(log, Duration.ofSeconds(1));

  /** @param port what the refusal log line calls the port, e.g. "ext_proc port" */
  AllowedClients(Set<String> identities, String port) {
    this.identities = Set.copyOf(identities);
    this.port = port;
  }

  @Override
  public void verifyPeerCertificate(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    check(chain);
  }

  @Override
  public void verifyPeerCertificate(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check(chain);
  }

  private void check(X509Certificate[] chain) throws CertificateException {
    String identity = chain.length == 0 ? null : PeerIdentity.of(chain[0]).orElse(null);
    if (identity != null && identities.contains(identity)) {
      return;
    }
    String named = identity == null ? "none (no SPIFFE ID, no CN)" : LogText.quote(identity);
    refusals.warn(() -> port + " refused a client certificate: identity " + named
        + " is not in tls.allowedClients");
    throw new CertificateException("client certificate identity " + named
        + " is not an allowed client of the " + port);
  }
}
