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
  private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);
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

  private static void fail(String message) {
    System.err.println("demo-origin: " + message);
    System.exit(1);
  }
}
