package io.edgecache.security;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The PEM files one side of an mTLS connection uses, as cert-manager, Istio or any CA tooling
 * writes them: this process's certificate chain and private key, and the CA bundle its peers'
 * certificates must chain to. The files are read again every {@code refresh} when they changed,
 * so a rotated certificate is used for new handshakes without a restart.
 *
 * @param certFile this process's certificate chain (PEM)
 * @param keyFile its private key (PEM, PKCS#8 or PKCS#1)
 * @param caFile the CA certificates peers must chain to (PEM); use a CA dedicated to edgecache
 * @param refresh how often the files are checked for changes
 */
public record TlsFiles(Path certFile, Path keyFile, Path caFile, Duration refresh) {

  /**
   * How often the files are checked when the configuration does not say, and the shortest
   * period allowed: grpc-java's reloader silently uses one minute for anything shorter.
   */
  public static final Duration DEFAULT_REFRESH = Duration.ofMinutes(1);

  /**
   * Checks that the three files are readable and {@code refresh} at least a minute; the exception's
   * message names the field ({@code certFile}, ...) and the file, for the configuration loader to
   * prefix with where the block is.
   */
  public TlsFiles {
    if (refresh == null || refresh.compareTo(DEFAULT_REFRESH) < 0) {
      throw new IllegalArgumentException("refresh: must be at least 1m (grpc-java checks the files"
          + " at most once a minute), got " + refresh);
    }
    requireReadable("certFile", certFile);
    requireReadable("keyFile", keyFile);
    requireReadable("caFile", caFile);
  }

  private static void requireReadable(String field, Path file) {
    if (file == null) {
      throw new IllegalArgumentException(field + ": required");
    }
    if (!Files.isReadable(file) || Files.isDirectory(file)) {
      throw new IllegalArgumentException(field + ": cannot read " + file.toAbsolutePath());
    }
  }
}
