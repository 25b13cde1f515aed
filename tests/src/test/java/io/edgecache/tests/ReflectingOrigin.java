package io.edgecache.tests;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A real HTTP/1.1 origin (the JDK's server, on loopback) that reflects its request into the
 * response, as the applications cache-poisoning attacks target do: the body holds the method,
 * the raw request target, every request header and the request body. A few paths shape the
 * response headers:
 * <ul>
 *   <li>{@code .../data}: JSON, {@code ETag: "v1"}, {@code max-age=60}; a HEAD reflects
 *       {@code x-reflect-type} into Content-Type and {@code x-reflect-link} into Link;</li>
 *   <li>{@code .../enc}: {@code Vary: Accept-Encoding}, {@code max-age=60}, and
 *       {@code Content-Encoding: zstd} when the request offers zstd;</li>
 *   <li>anything else: no Cache-Control at all (a personal page, as applications send them).</li>
 * </ul>
 */
final class ReflectingOrigin implements AutoCloseable {

  private final ExecutorService executor = Executors.newFixedThreadPool(4);
  private final HttpServer server;

  ReflectingOrigin() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange; InputStream in = exchange.getRequestBody()) {
      String requestBody = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      String method = exchange.getRequestMethod();
      String target = exchange.getRequestURI().getRawPath()
          + (exchange.getRequestURI().getRawQuery() == null ? ""
              : "?" + exchange.getRequestURI().getRawQuery());
      StringBuilder body = new StringBuilder()
          .append("method=").append(method).append('\n')
          .append("target=").append(target).append('\n');
      Map<String, List<String>> sorted = new TreeMap<>();
      exchange.getRequestHeaders().forEach(
          (name, values) -> sorted.put(name.toLowerCase(Locale.ROOT), values));
      sorted.forEach((name, values) -> values.forEach(
          value -> body.append(name).append(": ").append(value).append('\n')));
      body.append("body=").append(requestBody).append('\n');

      String path = exchange.getRequestURI().getRawPath();
      var headers = exchange.getResponseHeaders();
      String acceptEncoding = exchange.getRequestHeaders().getFirst("accept-encoding");
      if (path.endsWith("/data")) {
        headers.set("content-type", "application/json");
        headers.set("etag", "\"v1\"");
        headers.set("cache-control", "max-age=60");
        if (method.equals("HEAD")) {
          reflect(exchange, "x-reflect-type", "content-type");
          reflect(exchange, "x-reflect-link", "link");
        }
      } else if (path.endsWith("/enc")) {
        headers.set("vary", "accept-encoding");
        headers.set("cache-control", "max-age=60");
        if (acceptEncoding != null && acceptEncoding.contains("zstd")) {
          headers.set("content-encoding", "zstd");
        }
      } else {
        headers.set("content-type", "text/plain");
      }
      byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
      if (method.equals("HEAD")) {
        exchange.sendResponseHeaders(200, -1);
        return;
      }
      exchange.sendResponseHeaders(200, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  private static void reflect(HttpExchange exchange, String from, String to) {
    String value = exchange.getRequestHeaders().getFirst(from);
    if (value != null) {
      exchange.getResponseHeaders().set(to, value);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
