package io.edgecache.extproc.telemetry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.google.common.util.concurrent.ThreadFactoryBuilder;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The cache node's admin port: {@code /metrics} (Prometheus text format), {@code /stats}
 * (JSON for humans: outcomes, hit ratio, tiers, configuration version) and {@code /healthz}.
 * It runs on its own small thread pool, away from the ext_proc transport threads.
 */
public final class AdminServer implements AutoCloseable {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final HttpServer server;
  private final ExecutorService executor = Executors.newFixedThreadPool(2,
      new ThreadFactoryBuilder().setNameFormat("edgecache-admin").setDaemon(true).build());

  /**
   * @param listen address to bind (port 0 for an ephemeral one)
   * @param telemetry where /metrics comes from
   * @param stats builds the /stats document
   */
  public AdminServer(InetSocketAddress listen, Telemetry telemetry,
      Supplier<Map<String, Object>> stats) throws IOException {
    server = HttpServer.create(listen, 16);
    server.createContext("/metrics", exchange -> {
      if (allowGet(exchange)) {
        exchange.getResponseHeaders().set("content-type", "text/plain; version=0.0.4");
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = exchange.getResponseBody()) {
          telemetry.writePrometheus(out);
        }
      }
    });
    server.createContext("/stats", exchange -> {
      if (allowGet(exchange)) {
        send(exchange, 200, "application/json", JSON.writeValueAsBytes(stats.get()));
      }
    });
    server.createContext("/healthz", exchange -> {
      if (allowGet(exchange)) {
        send(exchange, 200, "text/plain", "ok\n".getBytes(StandardCharsets.UTF_8));
      }
    });
    server.createContext("/", exchange -> send(exchange, 404, "text/plain",
        "not found: try /metrics, /stats or /healthz\n".getBytes(StandardCharsets.UTF_8)));
    server.setExecutor(executor);
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static boolean allowGet(HttpExchange exchange) throws IOException {
    if (exchange.getRequestMethod().equals("GET")) {
      return true;
    }
    exchange.getResponseHeaders().set("allow", "GET");
    send(exchange, 405, "text/plain", "method not allowed: use GET\n"
        .getBytes(StandardCharsets.UTF_8));
    return false;
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body)
      throws IOException {
    exchange.getResponseHeaders().set("content-type", type);
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
