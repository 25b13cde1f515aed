package io.edgecache.controlplane.metrics;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;

/** The control plane's scrape endpoint: {@code GET /metrics} in Prometheus text format. */
public final class MetricsServer implements AutoCloseable {

  private final HttpServer server;

  public MetricsServer(InetSocketAddress listen, ControlPlaneMetrics metrics) throws IOException {
    server = HttpServer.create(listen, 8);
    server.createContext("/metrics", exchange -> {
      exchange.getResponseHeaders().set("content-type", "text/plain; version=0.0.4");
      exchange.sendResponseHeaders(200, 0);
      try (OutputStream out = exchange.getResponseBody()) {
        metrics.writePrometheus(out);
      }
    });
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
