package io.edgecache.tests;

import io.edgecache.security.TlsFiles;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificate authorities and the certificates they issue, generated in the test (EC P-256,
 * BouncyCastle's builder) and written as the PEM files edgecache's {@code tls} blocks name: no
 * network, no external CA. Every leaf carries {@code localhost} and {@code 127.0.0.1} so it can
 * serve as a loopback server's certificate as well as a client's.
 */
final class TestCertificates {

  private static final AtomicLong SERIALS = new AtomicLong(System.currentTimeMillis());

  private TestCertificates() {}

  /** A self-signed CA that issues leaf certificates into {@code dir}. */
  static final class Ca {
    final String name;
    final Path dir;
    final Path certFile;
    private final KeyPair keys;
    private final X509Certificate certificate;

    Ca(Path dir, String name) throws Exception {
      this.name = name;
      this.dir = dir;
      this.keys = ecKeys();
      X500Name subject = new X500Name("CN=" + name);
      X509v3CertificateBuilder builder = builder(subject, subject, keys)
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      this.certificate = sign(builder, keys);
      this.certFile = dir.resolve(name + "-ca.crt");
      writeAtomically(certFile, pem("CERTIFICATE", certificate.getEncoded()));
    }

    /**
     * Issues a certificate for {@code commonName}, with {@code spiffeId} as URI SAN when not
     * null, and writes {@code fileName}.crt and .key.
     */
    Leaf issue(String fileName, String commonName, String spiffeId) throws Exception {
      Leaf leaf = new Leaf(dir.resolve(fileName + ".crt"), dir.resolve(fileName + ".key"));
      reissue(leaf, commonName, spiffeId);
      return leaf;
    }

    /** Writes a fresh key and certificate over {@code leaf}'s files, each replaced atomically. */
    void reissue(Leaf leaf, String commonName, String spiffeId) throws Exception {
      KeyPair leafKeys = ecKeys();
      List<GeneralName> names = new ArrayList<>(List.of(
          new GeneralName(GeneralName.dNSName, "localhost"),
          new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
      if (spiffeId != null) {
        names.add(new GeneralName(GeneralName.uniformResourceIdentifier, spiffeId));
      }
      X509v3CertificateBuilder builder = builder(new X500Name("CN=" + name), new X500Name("CN=" + commonName), leafKeys)
          .addExtension(Extension.subjectAlternativeName, false,
              new GeneralNames(names.toArray(GeneralName[]::new)))
          .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
              new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      X509Certificate cert = sign(builder, keys);
      writeAtomically(leaf.keyFile, pem("PRIVATE KEY", leafKeys.getPrivate().getEncoded()));
      writeAtomically(leaf.certFile, pem("CERTIFICATE", cert.getEncoded()));
    }
  }

  /** A leaf's certificate and key files. */
  record Leaf(Path certFile, Path keyFile) {
    /** The tls block for this leaf, trusting the CA certificates in {@code caFile}. */
    TlsFiles trusting(Path caFile, Duration refresh) {
      return new TlsFiles(certFile, keyFile, caFile, refresh);
    }
  }

  /** One CA file holding several CAs' certificates (a bundle, as during a CA rotation). */
  static Path bundle(Path file, Ca... cas) throws IOException {
    StringBuilder text = new StringBuilder();
    for (Ca ca : cas) {
      text.append(Files.readString(ca.certFile));
    }
    writeAtomically(file, text.toString());
    return file;
  }

  private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair subjectKeys) {
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIALS.incrementAndGet()),
        Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(1))), subject,
        subjectKeys.getPublic());
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair issuerKeys)
      throws OperatorCreationException, GeneralSecurityException {
    return new JcaX509CertificateConverter().getCertificate(
        builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
  }

  private static KeyPair ecKeys() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    return generator.generateKeyPair();
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  /** As cert-manager and kubelet do: readers see the old file or the new one, never half. */
  private static void writeAtomically(Path file, String text) throws IOException {
    Path temp = Files.createTempFile(file.getParent(), ".tmp", ".pem");
    Files.writeString(temp, text);
    Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
