package io.edgecache.edge;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * An HTTP/1.1 client on a raw socket, for what {@code java.net.http} hides: interim responses,
 * pipelining, connection reuse and closes. Every read is bounded by a 5 s socket timeout, so a
 * hang fails the test.
 */
final class RawClient implements AutoCloseable {
  /** A response as it came off the wire. */
  record Response(int status, String head, String body) {
    String header(String name) {
      for (String line : head.split("\r\n")) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
          return line.substring(colon + 1).trim();
        }
      }
      return null;
    }
  }

  private final Socket socket;
  private final InputStream in;

  RawClient(int port) throws IOException {
    socket = new Socket(InetAddress.getLoopbackAddress(), port);
    socket.setSoTimeout(5_000);
    in = socket.getInputStream();
  }

  void send(String text) throws IOException {
    socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
    socket.getOutputStream().flush();
  }

  static String get(String path) {
    return "GET " + path + " HTTP/1.1\r\nHost: edge.test\r\n\r\n";
  }

  /** Reads one response (an interim one included), its body framed by Content-Length or chunked. */
  Response read() throws IOException {
    String head = readHead();
    if (head == null) {
      throw new IOException("connection closed before a response");
    }
    int status = Integer.parseInt(head.substring(9, 12));
    Response headOnly = new Response(status, head, "");
    if (status < 200 || status == 204 || status == 304) {
      return headOnly;
    }
    String length = headOnly.header("content-length");
    if (length != null) {
      byte[] body = in.readNBytes(Integer.parseInt(length));
      return new Response(status, head, new String(body, StandardCharsets.ISO_8859_1));
    }
    if ("chunked".equalsIgnoreCase(headOnly.header("transfer-encoding"))) {
      return new Response(status, head, readChunked());
    }
    return new Response(status, head, new String(in.readAllBytes(), StandardCharsets.ISO_8859_1));
  }

  /** Reads the head of a response that has no body (to HEAD), as a Response with an empty body. */
  Response readHeadOnly() throws IOException {
    String head = readHead();
    if (head == null) {
      throw new IOException("connection closed before a response");
    }
    return new Response(Integer.parseInt(head.substring(9, 12)), head, "");
  }

  /** True when the edge closes the connection (reads end of stream or a reset) within 5 s. */
  boolean closedByPeer() throws IOException {
    try {
      return in.read() == -1;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  /** Reads what arrives until the edge closes the connection, bounded by the socket timeout. */
  String readUntilClosed() throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    try {
      int n;
      while ((n = in.read(buffer)) != -1) {
        all.write(buffer, 0, n);
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the edge kept the connection open; read so far: " + all, e);
    } catch (IOException e) {
      // reset by the edge: what arrived before it counts
    }
    return all.toString(StandardCharsets.ISO_8859_1);
  }

  private String readHead() throws IOException {
    return readHead(in);
  }

  /** Reads a message head through its blank line; null if the stream ends first. Shared with {@link RawOrigin}. */
  static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    int b;
    while (matched < 4 && (b = in.read()) != -1) {
      head.write(b);
      matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return matched < 4 ? null : head.toString(StandardCharsets.ISO_8859_1);
  }

  private String readChunked() throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      String sizeLine = readLine();
      int size = Integer.parseInt(sizeLine.split(";")[0].trim().toLowerCase(Locale.ROOT), 16);
      if (size == 0) {
        while (!readLine().isEmpty()) {
          // trailers
        }
        return body.toString(StandardCharsets.ISO_8859_1);
      }
      body.write(in.readNBytes(size));
      readLine();
    }
  }

  private String readLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != '\n') {
      if (b == -1) {
        throw new EOFException("connection closed in the middle of a chunked body");
      }
      if (b != '\r') {
        line.write(b);
      }
    }
    return line.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
