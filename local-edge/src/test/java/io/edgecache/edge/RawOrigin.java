package io.edgecache.edge;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real TCP origin on loopback whose every byte a test scripts, for misbehaviour no HTTP
 * server library produces: closing or resetting at any point, bodies longer or shorter than
 * their Content-Length, broken chunks, interim responses. Each accepted connection reads one
 * request head at a time and hands the test's {@link Script} an {@link Connection}.
 */
final class RawOrigin implements AutoCloseable {
  /** What the origin does with one request; returning keeps the connection for the next. */
  interface Script {
    void serve(Connection connection, String requestHead) throws IOException;
  }

  /** One accepted origin connection. */
  static final class Connection {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private Connection(Socket socket) throws IOException {
      this.socket = socket;
      this.in = socket.getInputStream();
      this.out = socket.getOutputStream();
    }

    void send(String text) throws IOException {
      out.write(text.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    }

    /** Closes with a FIN. */
    void close() throws IOException {
      socket.close();
    }

    /** Closes with a TCP RST (SO_LINGER 0). */
    void reset() throws IOException {
      socket.setSoLinger(true, 0);
      socket.close();
    }

    /** Waits (bounded by the socket timeout) until the peer closes; true if it did. */
    boolean awaitPeerClose() throws IOException {
      try {
        return in.read() == -1;
      } catch (SocketException e) {
        return true;
      }
    }

    /** Reads the next request head (through the blank line), or null at end of stream. */
    private String readHead() throws IOException {
      String text = RawClient.readHead(in);
      if (text != null) {
        skipBody(text);
      }
      return text;
    }

    private void skipBody(String head) throws IOException {
      for (String line : head.split("\r\n")) {
        if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
          long length = Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
          in.readNBytes((int) length);
        }
      }
    }
  }

  final BlockingQueue<String> requests = new LinkedBlockingQueue<>();
  final BlockingQueue<Connection> connections = new LinkedBlockingQueue<>();
  private final AtomicInteger accepted = new AtomicInteger();
  private final ServerSocket server;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private volatile Script script;

  RawOrigin(Script script) throws IOException {
    this.script = script;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    threads.execute(this::acceptLoop);
  }

  void script(Script script) {
    this.script = script;
  }

  String url() {
    return "http://127.0.0.1:" + server.getLocalPort();
  }

  /** Connections accepted so far. */
  int connectionCount() {
    return accepted.get();
  }

  String nextRequest() throws InterruptedException {
    String head = requests.poll(5, TimeUnit.SECONDS);
    if (head == null) {
      throw new AssertionError("origin got no request within 5 s");
    }
    return head;
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket socket = server.accept();
        socket.setSoTimeout(10_000);
        accepted.incrementAndGet();
        threads.execute(() -> serve(socket));
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket socket) {
    try {
      Connection connection = new Connection(socket);
      connections.add(connection);
      String head;
      while (!socket.isClosed() && (head = connection.readHead()) != null) {
        requests.add(head);
        script.serve(connection, head);
      }
    } catch (IOException e) {
      // the edge or the script closed the connection
    } finally {
      try {
        socket.close();
      } catch (IOException ignored) {
        // already closed
      }
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    threads.shutdownNow();
  }
}
