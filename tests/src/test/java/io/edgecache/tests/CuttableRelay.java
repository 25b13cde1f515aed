package io.edgecache.tests;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback TCP relay to {@code target} that a test can cut (every connection closed, new ones
 * refused) and restore on the same port: one node's link to the control plane going down while
 * the control plane and the other nodes carry on.
 */
final class CuttableRelay implements AutoCloseable {

  private final int targetPort;
  private final int port;
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private ServerSocket listener;
  private Thread acceptor;
  /** While cut: keeps the port, which another socket could otherwise be given before restore(). */
  private Socket reservation;

  CuttableRelay(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.port = listener.getLocalPort();
    accept(listener);
  }

  int port() {
    return port;
  }

  /** Closes every relayed connection and stops accepting: connecting is refused. */
  synchronized void cut() throws IOException {
    disconnect();
    reservation = LoopbackPorts.reserve(port);
  }

  /** Accepts again on the same port; it binds next to the reservation, then ends it. */
  synchronized void restore() throws IOException {
    listener = new ServerSocket();
    listener.setReuseAddress(true);
    listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
    reservation.close();
    reservation = null;
    accept(listener);
  }

  private void disconnect() throws IOException {
    listener.close();
    // The socket stops listening only once the thread blocked in accept() has left it (the JDK
    // defers the close); until then binding the port, even with SO_REUSEADDR, fails.
    try {
      acceptor.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while the relay stopped accepting", e);
    }
    if (acceptor.isAlive()) {
      throw new IOException("relay on port " + port + " still accepting 10 s after its close");
    }
    for (Socket socket : open) {
      socket.close();
    }
    open.clear();
  }

  private void accept(ServerSocket socket) {
    acceptor = new Thread(() -> {
      while (!socket.isClosed()) {
        try {
          Socket client = socket.accept();
          Socket upstream;
          try {
            upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
          } catch (IOException e) {
            closeQuietly(client); // the target is down: so is the relayed connection
            continue;
          }
          open.add(client);
          open.add(upstream);
          pump(client, upstream);
          pump(upstream, client);
        } catch (IOException e) {
          // the listener was cut
        }
      }
    }, "relay-accept-" + port);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private void pump(Socket from, Socket to) {
    Thread pump = new Thread(() -> {
      byte[] buffer = new byte[16 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        for (int n; (n = in.read(buffer)) >= 0; ) {
          out.write(buffer, 0, n);
        }
      } catch (IOException e) {
        // either side closed: the relay ends with it
      } finally {
        closeQuietly(from);
        closeQuietly(to);
      }
    }, "relay-pump-" + port);
    pump.setDaemon(true);
    pump.start();
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public synchronized void close() throws IOException {
    disconnect();
    if (reservation != null) {
      reservation.close();
    }
  }
}
