package io.edgecache.security;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import io.grpc.util.AdvancedTlsX509TrustManager.Verification;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * gRPC credentials for mutual TLS from {@link TlsFiles}, kept current by grpc-java's own file
 * reloading ({@link AdvancedTlsX509KeyManager} and {@link AdvancedTlsX509TrustManager}): each
 * handshake uses the files as last read, so a rotated certificate takes effect without a
 * restart, and connections already open keep their streams.
 *
 * <p>A server requires a client certificate that chains to the CA file (and, where given, names
 * an allowed identity). A client verifies the
 * server's certificate against the CA file and the host name it dials.
 */
public final class ReloadingTls implements AutoCloseable {

  private final AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
  private final AdvancedTlsX509TrustManager trust;
  private final ScheduledExecutorService reloads;
  private final AdvancedTlsX509KeyManager.Closeable keyReload;
  private final AdvancedTlsX509TrustManager.Closeable trustReload;

  private ReloadingTls(TlsFiles files, Verification verification, AllowedClients allowed)
      throws IOException {
    this.reloads = Executors.newSingleThreadScheduledExecutor(
        new ThreadFactoryBuilder().setNameFormat("tls-file-reload").setDaemon(true).build());
    long period = files.refresh().toMillis();
    try {
      AdvancedTlsX509TrustManager.Builder trustBuilder =
          AdvancedTlsX509TrustManager.newBuilder().setVerification(verification);
      if (allowed != null) {
        trustBuilder.setSslSocketAndEnginePeerVerifier(allowed);
      }
      this.trust = trustBuilder.build();
      this.keyReload = keys.updateIdentityCredentials(files.certFile().toFile(), files.keyFile().toFile(),
          period, TimeUnit.MILLISECONDS, reloads);
      this.trustReload = trust.updateTrustCredentials(files.caFile().toFile(), period,
          TimeUnit.MILLISECONDS, reloads);
    } catch (GeneralSecurityException | IOException | RuntimeException e) {
      reloads.shutdownNow();
      throw new IOException("cannot load TLS files (certFile " + files.certFile() + ", keyFile "
          + files.keyFile() + ", caFile " + files.caFile() + "): " + e.getMessage(), e);
    }
  }

  /** For a server: client certificates are required and checked against the CA file only. */
  public static ReloadingTls forServer(TlsFiles files) throws IOException {
    return new ReloadingTls(files, Verification.CERTIFICATE_ONLY_VERIFICATION, null);
  }

  /**
   * For a server that admits only some of the CA's certificates: a client certificate must
   * chain to the CA file and its {@link PeerIdentity} be one of {@code allowedClients}
   * (checked in the handshake); an empty set admits every certificate from the CA.
   *
   * @param port what refusals in the log call the port, e.g. "ext_proc port"
   */
  public static ReloadingTls forServer(TlsFiles files, Set<String> allowedClients, String port)
      throws IOException {
    return new ReloadingTls(files, Verification.CERTIFICATE_ONLY_VERIFICATION,
        allowedClients.isEmpty() ? null : new AllowedClients(allowedClients, port));
  }

  /** For a client: the server's certificate must chain to the CA file and name the host dialled. */
  public static ReloadingTls forClient(TlsFiles files) throws IOException {
    return new ReloadingTls(files, Verification.CERTIFICATE_AND_HOST_NAME_VERIFICATION, null);
  }

  /** Server credentials that require and verify a client certificate. */
  public ServerCredentials serverCredentials() {
    return TlsServerCredentials.newBuilder()
        .keyManager(keys)
        .trustManager(trust)
        .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
        .build();
  }

  /** Channel credentials that present this process's certificate. */
  public ChannelCredentials channelCredentials() {
    return TlsChannelCredentials.newBuilder().keyManager(keys).trustManager(trust).build();
  }

  /** Stops watching the files; connections already made are unaffected. */
  @Override
  public void close() {
    keyReload.close();
    trustReload.close();
    reloads.shutdownNow();
  }
}
