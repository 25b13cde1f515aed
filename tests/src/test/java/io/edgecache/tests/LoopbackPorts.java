package io.edgecache.tests;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Locale;

/**
 * Loopback ports for servers that must be told their port before they bind it: a child JVM's
 * command line, a configuration file, a peer configured first. A probed port (bound to 0, read,
 * released) is free only until the kernel hands it to another bind(0) or outgoing connection of
 * any process, so every start that binds a probed port goes through {@link #retryOnClash}, which
 * starts again on new ports when an attempt lost that race. A server that can bind port 0 itself
 * and report the port it got needs neither.
 */
final class LoopbackPorts {

  /** Starts tried before a run of lost port races fails the test. */
  static final int ATTEMPTS = 5;

  private LoopbackPorts() {}

  /** One start of something on probed ports; it stops what it started when it fails. */
  @FunctionalInterface
  interface Start<T> {
    T start() throws Exception;
  }

  /**
   * A listening socket holding a free loopback port until it is closed, for a caller that binds
   * other ephemeral ports first and releases this one just before binding it.
   */
  static ServerSocket hold() throws IOException {
    return new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
  }

  /** A loopback port that was free a moment ago; bind it inside {@link #retryOnClash}. */
  static int probe() throws IOException {
    return probe(1)[0];
  }

  /** {@code count} distinct loopback ports, held together while probed so no two are the same. */
  static int[] probe(int count) throws IOException {
    ServerSocket[] held = new ServerSocket[count];
    try {
      int[] ports = new int[count];
      for (int i = 0; i < count; i++) {
        held[i] = hold();
        ports[i] = held[i].getLocalPort();
      }
      return ports;
    } finally {
      for (ServerSocket socket : held) {
        if (socket != null) {
          socket.close();
        }
      }
    }
  }

  /**
   * A socket bound to loopback {@code port} (0: any free one) and not listening: connecting is
   * refused, and while it is held the kernel gives the port to no other socket (bind(0) and
   * outgoing connections skip it) except a listener binding it by number with SO_REUSEADDR, as
   * the JDK's, Netty's and Redis's do. So it keeps a dead port dead, and keeps a stopped server's
   * port for its restart, which binds it before this is closed (Linux semantics).
   */
  static Socket reserve(int port) throws IOException {
    Socket socket = new Socket();
    if (port != 0 && !RESTARTS_BIND_NEXT_TO_RESERVATIONS) {
      return socket; // unbound: the port stays free, as a restart always found it before
    }
    socket.setReuseAddress(true);
    socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    return socket;
  }

  /**
   * Whether a listener may bind a port a non-listening SO_REUSEADDR socket holds: Linux allows
   * it; BSD and macOS refuse, so there a stopped server's port is not kept for its restart.
   */
  static final boolean RESTARTS_BIND_NEXT_TO_RESERVATIONS =
      System.getProperty("os.name", "").startsWith("Linux");

  /**
   * Runs {@code start} until an attempt does not fail on a port clash, at most {@link #ATTEMPTS}
   * times; any other failure is thrown at once.
   */
  static <T> T retryOnClash(Start<T> start) throws Exception {
    for (int attempt = 1; ; attempt++) {
      try {
        return start.start();
      } catch (Exception | AssertionError e) {
        if (!isPortClash(e)) {
          throw e;
        }
        if (attempt == ATTEMPTS) {
          throw new IOException("each of " + ATTEMPTS + " starts lost a probed loopback port to"
              + " another socket; the last one failed with: " + e.getMessage(), e);
        }
      }
    }
  }

  /**
   * Whether {@code failure} comes from binding a port something else holds: a BindException in
   * the chain, or the words a child process prints for one (the JDK's and Netty's "Address
   * already in use", grpc-java's "Failed to bind to address" without its cause).
   */
  private static boolean isPortClash(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      String message = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
      if (t instanceof BindException || message.contains("address already in use")
          || message.contains("failed to bind to address")) {
        return true;
      }
    }
    return false;
  }
}
