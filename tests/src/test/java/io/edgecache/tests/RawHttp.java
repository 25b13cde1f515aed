package io.edgecache.tests;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Sends one request exactly as written (targets and Host fields no HTTP client library lets a
 * test send: raw dot-segments, backslashes, absolute-form, two Host lines, a GET body) on a
 * fresh connection with {@code Connection: close}, and reads the whole response within a
 * read timeout.
 */
final class RawHttp {

  /** A parsed response; header names lower case. */
  record Response(int status, List<String[]> headers, String body) {
    String header(String name) {
      for (String[] header : headers) {
        if (header[0].equals(name)) {
          return header[1];
        }
      }
      return null;
    }

    String cacheStatus() {
      String value = header("cache-status");
      return value == null ? "(no Cache-Status)" : value;
    }
  }

  private RawHttp() {}

  /**
   * Sends {@code requestLine} and {@code headerLines} (each "Name: value"), then
   * {@code body} if not null with its Content-Length.
   */
  static Response send(int port, String requestLine, String body, String... headerLines)
      throws IOException {
    StringBuilder request = new StringBuilder(requestLine).append("\r\n");
    for (String line : headerLines) {
      request.append(line).append("\r\n");
    }
    if (body != null) {
      request.append("Content-Length: ")
          .append(body.getBytes(StandardCharsets.UTF_8).length).append("\r\n");
    }
    request.append("Connection: close\r\n\r\n");
    if (body != null) {
      request.append(body);
    }
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(15_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
      return parse(readAll(socket.getInputStream()), requestLine.startsWith("HEAD "));
    }
  }

  private static byte[] readAll(InputStream in) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    in.transferTo(all);
    return all.toByteArray();
  }

  /**
   * @param toHead a response to HEAD has no body, whatever its framing lines say (Envoy's codec
   *     writes an informational transfer-encoding: chunked on one without Content-Length)
   */
  private static Response parse(byte[] raw, boolean toHead) {
    String text = new String(raw, StandardCharsets.ISO_8859_1);
    int end = text.indexOf("\r\n\r\n");
    if (end < 0) {
      throw new IllegalStateException("no complete response head in: " + text);
    }
    String[] lines = text.substring(0, end).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    List<String[]> headers = new ArrayList<>();
    boolean chunked = false;
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = lines[i].substring(colon + 1).trim();
      headers.add(new String[] {name, value});
      chunked |= name.equals("transfer-encoding") && value.equalsIgnoreCase("chunked");
    }
    String body = text.substring(end + 4);
    return new Response(status, headers, chunked && !toHead ? dechunk(body) : body);
  }

  private static String dechunk(String chunked) {
    StringBuilder body = new StringBuilder();
    int at = 0;
    while (true) {
      int lineEnd = chunked.indexOf("\r\n", at);
      int size = Integer.parseInt(chunked.substring(at, lineEnd).split(";")[0].trim(), 16);
      if (size == 0) {
        return body.toString();
      }
      body.append(chunked, lineEnd + 2, lineEnd + 2 + size);
      at = lineEnd + 2 + size + 2;
    }
  }
}
