package io.edgecache.security;

import io.grpc.Context;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * Who is on the other end of an mTLS connection: the SPIFFE ID of its client certificate (a
 * {@code spiffe://} URI SAN, as Istio and SPIRE issue) or, for certificates without one, the
 * subject's common name (unless that spells a SPIFFE ID). {@link PeerIdentityInterceptor} puts
 * it in each call's {@link Context}.
 */
public final class PeerIdentity {

  /** The verified identity of the calling peer; unset on a plaintext connection. */
  public static final Context.Key<String> KEY = Context.key("edgecache-peer-identity");

  private static final int URI_SAN = 6;

  private PeerIdentity() {}

  /** The identity of the current call's peer, or empty on a plaintext connection. */
  public static Optional<String> current() {
    return Optional.ofNullable(KEY.get());
  }

  /**
   * The certificate's SPIFFE URI SAN, else its subject CN; empty when it has neither, or when
   * the CN looks like a SPIFFE ID.
   */
  public static Optional<String> of(X509Certificate certificate) {
    try {
      Collection<List<?>> names = certificate.getSubjectAlternativeNames();
      if (names != null) {
        for (List<?> name : names) {
          if (((Integer) name.get(0)) == URI_SAN && name.get(1) instanceof String uri
              && uri.startsWith("spiffe://")) {
            return Optional.of(uri);
          }
        }
      }
    } catch (CertificateParsingException e) {
      return Optional.empty(); // a SAN extension the JDK cannot read names no one
    }
    try {
      List<Rdn> rdns = new LdapName(certificate.getSubjectX500Principal().getName()).getRdns();
      // The most specific CN is the last RDN of the LDAP order.
      for (int i = rdns.size() - 1; i >= 0; i--) {
        if (rdns.get(i).getType().equalsIgnoreCase("CN")) {
          String commonName = rdns.get(i).getValue().toString();
          // A CN spelling a SPIFFE ID is not that ID: only a URI SAN is (SPIFFE X.509-SVID), and
          // whoever may choose a CN must not pass for a workload listed by its SPIFFE ID.
          return commonName.regionMatches(true, 0, "spiffe:", 0, 7)
              ? Optional.empty() : Optional.of(commonName);
        }
      }
    } catch (InvalidNameException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }
}
