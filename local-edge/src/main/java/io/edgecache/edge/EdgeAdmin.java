package io.edgecache.edge;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.edgecache.edge.extproc.ProcessorStats;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * local-edge's admin port, a small part of Envoy's: {@code GET /stats} prints the ext_proc
 * filter's counters in Envoy's text format, so fail-opens are visible where an Envoy operator
 * would look. Runs on its own thread, off the event loops.
 */
final class EdgeAdmin implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService thread =
      Executors.newSingleThreadExecutor(r -> new Thread(r, "local-edge-admin"));

  EdgeAdmin(InetSocketAddress address, ProcessorStats stats) throws IOException {
    server = HttpServer.create(new InetSocketAddress(address.getHostString(), address.getPort()), 16);
    server.createContext("/stats", exchange -> reply(exchange, stats.render()));
    server.setExecutor(thread);
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  private static void reply(HttpExchange exchange, String text) throws IOException {
    byte[] body = text.getBytes(StandardCharsets.UTF_8);
    try (exchange; OutputStream out = exchange.getResponseBody()) {
      exchange.getResponseHeaders().set("content-type", "text/plain; charset=utf-8");
      exchange.sendResponseHeaders(200, body.length);
      out.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    thread.shutdownNow();
  }
}
