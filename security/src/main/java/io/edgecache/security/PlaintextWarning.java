package io.edgecache.security;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.logging.Logger;

/**
 * The start-up warning for a gRPC endpoint without TLS that is reachable beyond this machine:
 * plaintext is for the demo and tests on loopback only.
 */
public final class PlaintextWarning {

  private PlaintextWarning() {}

  /**
   * Logs a WARNING when {@code address} (host and port of {@code what}) is not a loopback
   * address; says nothing for loopback.
   */
  public static void warnIfNotLoopback(Logger log, String what, String host, int port) {
    if (!isLoopback(host)) {
      log.warning(() -> what + " on " + host + ":" + port + " uses plaintext gRPC, not mTLS: anyone who can"
          + " reach it is trusted. Configure tls (certFile, keyFile, caFile) outside loopback");
    }
  }

  /** {@link #warnIfNotLoopback(Logger, String, String, int)} for a socket address. */
  public static void warnIfNotLoopback(Logger log, String what, InetSocketAddress address) {
    warnIfNotLoopback(log, what, address.getHostString(), address.getPort());
  }

  /** Whether {@code host} names this machine's loopback interface. */
  public static boolean isLoopback(String host) {
    try {
      // Only at start-up; "localhost" and address literals resolve without the network.
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
