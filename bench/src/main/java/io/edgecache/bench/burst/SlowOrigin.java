package io.edgecache.bench.burst;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.edgecache.extproc.fields.HttpDates;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback origin that answers every GET after a fixed delay with a storable response, and
 * counts the requests it saw per path: the burst's "origin fetches". The delay is scheduled,
 * not slept, so a burst of fail-opens does not need a thread each.
 */
final class SlowOrigin implements AutoCloseable {

  private final HttpServer server;
  private final ScheduledExecutorService delays =
      Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "slow-origin-delay"));
  // HttpServer.stop leaves an executor it was given running; close shuts it down.
  private final ExecutorService handlers =
      Executors.newFixedThreadPool(2, r -> new Thread(r, "slow-origin"));
  private final Map<String, AtomicInteger> fetches = new ConcurrentHashMap<>();
  private final Duration delay;

  SlowOrigin(int port, Duration delay) throws IOException {
    this.delay = delay;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 512);
    server.createContext("/", this::handle);
    server.setExecutor(handlers);
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  /** Requests the origin saw for {@code path} (query included). */
  int fetches(String path) {
    AtomicInteger count = fetches.get(path);
    return count == null ? 0 : count.get();
  }

  private void handle(HttpExchange exchange) {
    fetches.computeIfAbsent(exchange.getRequestURI().toString(), p -> new AtomicInteger())
        .incrementAndGet();
    delays.schedule(() -> reply(exchange), delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static void reply(HttpExchange exchange) {
    byte[] body = ("burst body for " + exchange.getRequestURI() + "\n")
        .getBytes(StandardCharsets.UTF_8);
    try (exchange; OutputStream out = exchange.getResponseBody()) {
      exchange.getResponseHeaders().set("content-type", "text/plain");
      exchange.getResponseHeaders().set("cache-control", "public, max-age=300");
      exchange.getResponseHeaders().set("date", HttpDates.format(Instant.now()));
      exchange.sendResponseHeaders(200, body.length);
      out.write(body);
    } catch (IOException e) {
      // the edge gave up on this fetch; the count already has it
    }
  }

  @Override
  public void close() {
    server.stop(0);
    handlers.shutdownNow();
    delays.shutdownNow();
  }
}
