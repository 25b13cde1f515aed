package io.edgecache.edge.http;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Sends requests through the edge's own HTTP path (HTTP/1 codec, exchange, ext_proc session,
 * router) on a scratch loopback listener, with no routes, before the real one binds. On cold JVMs the first burst
 * of clients otherwise runs that path interpreted, on two cores shared with the clients, and a
 * few of its ext_proc messages miss Envoy's 200 ms {@code message_timeout} and fail open. The
 * requests are OPTIONS for a reserved host, which no cache stores; the scratch listener has no
 * routes (404), so nothing reaches an origin, and its filter ({@link #filter}) skips the response
 * side, so the node sees request headers only and counts no request for the router's 404.
 * Bounded by {@link #BUDGET_MILLIS}; a failure ends it quietly.
 *
 * <p>The scratch port is on loopback, which other processes (a sidecar's neighbours) share, and
 * what it receives still reaches the cache node: {@link #admits} lets in only connections from
 * the warm-up's own sockets (their source ports are bound before connecting), so nobody can
 * send the node requests through it.
 */
public final class DownstreamWarmup {

  private static final Logger log = Logger.getLogger(DownstreamWarmup.class.getName());
  private static final int CLIENTS = 4;
  private static final int REQUESTS_PER_CLIENT = 100;
  private static final long BUDGET_MILLIS = 3_000;
  private static final int IO_TIMEOUT_MILLIS = 1_000;
  private static final byte[] REQUEST = ("OPTIONS / HTTP/1.1\r\nhost: warmup.edgecache.invalid\r\n"
      + "connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);

  /** Source ports of the warm-up's open sockets. */
  private final Set<Integer> ownPorts = ConcurrentHashMap.newKeySet();

  /** The scratch listener's ext_proc filter: {@code configured} with nothing of the response sent. */
  public static ExternalProcessor filter(ExternalProcessor configured) {
    return configured.toBuilder()
        .setProcessingMode(configured.getProcessingMode().toBuilder()
            .setResponseHeaderMode(ProcessingMode.HeaderSendMode.SKIP)
            .setResponseBodyMode(ProcessingMode.BodySendMode.NONE)
            .setResponseTrailerMode(ProcessingMode.HeaderSendMode.SKIP))
        .build();
  }

  /** Whether {@code client} is one of this warm-up's sockets; the listener closes any other. */
  public boolean admits(SocketAddress client) {
    return client instanceof InetSocketAddress address && address.getAddress().isLoopbackAddress()
        && ownPorts.contains(address.getPort());
  }

  /** Runs the warm-up against a listener at {@code address}; returns when done or out of budget. */
  public void run(InetSocketAddress address) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(BUDGET_MILLIS);
    ThreadFactory threads =
        new ThreadFactoryBuilder().setNameFormat("edge-warmup-%d").setDaemon(true).build();
    List<Thread> clients = new ArrayList<>();
    for (int i = 0; i < CLIENTS; i++) {
      Thread client = threads.newThread(() -> sendUntil(address, deadline));
      client.start();
      clients.add(client);
    }
    for (Thread client : clients) {
      client.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))
          + IO_TIMEOUT_MILLIS);
    }
  }

  private void sendUntil(InetSocketAddress address, long deadline) {
    for (int i = 0; i < REQUESTS_PER_CLIENT && System.nanoTime() < deadline; i++) {
      Socket socket = new Socket();
      Integer port = null;
      try {
        socket.bind(new InetSocketAddress(address.getAddress(), 0));
        port = socket.getLocalPort();
        ownPorts.add(port);
        socket.connect(address, IO_TIMEOUT_MILLIS);
        socket.setSoTimeout(IO_TIMEOUT_MILLIS);
        OutputStream out = socket.getOutputStream();
        out.write(REQUEST);
        out.flush();
        InputStream in = socket.getInputStream();
        in.readAllBytes(); // connection: close, so the answer ends at EOF
      } catch (IOException e) {
        log.fine(() -> "edge warm-up stopped: " + e);
        return;
      } finally {
        // Forget the port while this socket still holds it: once closed, another warm-up
        // thread may bind the same port, and a late removal would strike its registration.
        if (port != null) {
          ownPorts.remove(port);
        }
        closeQuietly(socket);
      }
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // nothing was left to send
    }
  }
}
