package io.edgecache.edge.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A tiny origin for the demo: {@code DemoOriginMain --listen 127.0.0.1:8080}. Every response
 * says which path and which origin request number it is, so cache hits are visible.
 *
 * <ul>
 *   <li>{@code /no-store}: {@code Cache-Control: no-store}
 *   <li>{@code /private}: {@code Cache-Control: private, max-age=60}
 *   <li>{@code /cookie}: public, plus a {@code Set-Cookie}
 *   <li>anything else: {@code Cache-Control: public, max-age=60}
 * </ul>
 */
public final class DemoOriginMain {
  /**
   * IMF-fixdate (RFC 9110 §5.6.7), whose day has two digits: not RFC_1123_DATE_TIME, which
   * writes "4 Dec" where the grammar wants "04 Dec".
   */
  private static final DateTimeFormatter HTTP_DATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ROOT).withZone(ZoneOffset.UTC);
  private static final Instant STARTED = Instant.now();

  private final AtomicLong requests = new AtomicLong();
  private final SecureRandom random = new SecureRandom();

  private DemoOriginMain() {}

  public static void main(String[] args) {
    if (args.length != 2 || !args[0].equals("--listen") || args[1].lastIndexOf(':') <= 0) {
      fail("usage: demo-origin --listen HOST:PORT");
    }
    String host = args[1].substring(0, args[1].lastIndexOf(':'));
    int port = 0;
    try {
      port = Integer.parseInt(args[1].substring(args[1].lastIndexOf(':') + 1));
    } catch (NumberFormatException e) {
      fail("--listen: bad port in '" + args[1] + "'");
    }
    HttpServer server = null;
    try {
      server = HttpServer.create(new InetSocketAddress(host, port), 128);
    } catch (IOException e) {
      String reason = e.getMessage() != null && e.getMessage().contains("in use") ? "address already in use" : e.toString();
      fail("cannot listen on " + args[1] + ": " + reason);
    }
    server.createContext("/", new DemoOriginMain()::handle);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
    System.out.println("demo-origin: listening on http://" + host + ":" + server.getAddress().getPort());
  }

  private void handle(HttpExchange exchange) throws IOException {
    long n = requests.incrementAndGet();
    String path = exchange.getRequestURI().getPath();
    if (path.matches("/large/[0-9]{1,4}")) {
      sendLarge(exchange, Integer.parseInt(path.substring("/large/".length())), n);
      return;
    }
    String cacheControl = switch (path) {
      case "/no-store" -> "no-store";
      case "/private" -> "private, max-age=60";
      default -> "public, max-age=60";
    };
    byte[] body = ("<!doctype html><title>edgecache demo</title><p>path " + path
        + ", origin request #" + n + "</p>\n").getBytes(StandardCharsets.UTF_8);
    var headers = exchange.getResponseHeaders();
    headers.set("Content-Type", "text/html; charset=utf-8");
    headers.set("Cache-Control", cacheControl);
    headers.set("Date", HTTP_DATE.format(Instant.now()));
    headers.set("Last-Modified", HTTP_DATE.format(STARTED));
    headers.set("ETag", "\"" + path.hashCode() + "-" + STARTED.getEpochSecond() + "\"");
    headers.set("X-Origin-Request", Long.toString(n));
    if (path.equals("/cookie")) {
      byte[] session = new byte[8];
      random.nextBytes(session);
      headers.set("Set-Cookie", "session=" + HexFormat.of().formatHex(session) + "; Path=/; HttpOnly");
    }
    boolean head = exchange.getRequestMethod().equals("HEAD");
    if (head) {
      headers.set("Content-Length", Integer.toString(body.length));
      exchange.sendResponseHeaders(200, -1);
    } else {
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
    exchange.close();
  }

  /**
   * {@code /large/N}: N MiB (at most 1024) of text, streamed, cacheable for 5 minutes: large
   * enough that the cache records it to disk and serves hits from its body endpoint.
   */
  private static void sendLarge(HttpExchange exchange, int mebibytes, long n) throws IOException {
    if (mebibytes < 1 || mebibytes > 1024) {
      exchange.sendResponseHeaders(404, -1);
      exchange.close();
      return;
    }
    long length = (long) mebibytes << 20;
    // 64-byte lines in 64 KiB chunks: a MiB holds a whole number of each
    byte[] chunk = (String.format("%-63s", "edgecache demo large body, origin request #" + n)
        + "\n").repeat(1024).getBytes(StandardCharsets.US_ASCII);
    var headers = exchange.getResponseHeaders();
    headers.set("Content-Type", "text/plain; charset=us-ascii");
    headers.set("Cache-Control", "public, max-age=300");
    headers.set("Date", HTTP_DATE.format(Instant.now()));
    headers.set("X-Origin-Request", Long.toString(n));
    if (exchange.getRequestMethod().equals("HEAD")) {
      headers.set("Content-Length", Long.toString(length));
      exchange.sendResponseHeaders(200, -1);
    } else {
      exchange.sendResponseHeaders(200, length);
      try (OutputStream out = exchange.getResponseBody()) {
        for (long sent = 0; sent < length; sent += chunk.length) {
          out.write(chunk);
        }
      }
    }
    exchange.close();
  }

  private static void fail(String message) {
    System.err.println("demo-origin: " + message);
    System.exit(1);
  }
}
