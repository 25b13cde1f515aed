package io.edgecache.tests;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP/1.1 origin on loopback. Each path answers with the headers and body a test gives
 * it, and the origin counts the requests each path receives, so a test can tell a cache hit
 * (count unchanged) from a miss.
 */
final class TestOrigin implements AutoCloseable {

  /** What a path answers. {@code headers} alternate name, value. */
  record Reply(int status, byte[] body, String... headers) {
    static Reply text(String body, String... headers) {
      return new Reply(200, body.getBytes(StandardCharsets.UTF_8), headers);
    }
  }

  private final HttpServer server;
  private final ExecutorService executor = Executors.newFixedThreadPool(8);
  private final Map<String, Reply> replies = new ConcurrentHashMap<>();
  private final Map<String, GeneratedBody> generated = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

  TestOrigin() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    server.createContext("/", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  void reply(String path, Reply reply) {
    replies.put(path, reply);
  }

  /**
   * Makes {@code path} answer 200 with {@code length} bytes of {@link #patternByte} made on
   * the fly, so bodies far larger than the heap can be served; {@code chunked} omits
   * Content-Length.
   */
  void generate(String path, long length, boolean chunked, String... headers) {
    generated.put(path, new GeneratedBody(length, chunked, headers));
  }

  /** The byte at {@code offset} of a generated body: position-dependent, so reordering shows. */
  static byte patternByte(long offset) {
    return (byte) (offset ^ (offset >>> 11) ^ (offset >>> 23));
  }

  /** How many requests {@code path} received. */
  int count(String path) {
    AtomicInteger count = counts.get(path);
    return count == null ? 0 : count.get();
  }

  private void handle(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getRawPath();
    counts.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
    GeneratedBody large = generated.get(path);
    if (large != null) {
      large.send(exchange);
      return;
    }
    Reply reply = replies.get(path);
    if (reply == null) {
      reply = new Reply(404, "no reply configured\n".getBytes(StandardCharsets.UTF_8),
          "cache-control", "no-store");
    }
    Headers headers = exchange.getResponseHeaders();
    for (int i = 0; i < reply.headers().length; i += 2) {
      headers.add(reply.headers()[i], reply.headers()[i + 1]);
    }
    headers.add("x-origin-count", Integer.toString(count(path)));
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(reply.status(), head ? -1 : reply.body().length);
    if (!head) {
      try (OutputStream body = exchange.getResponseBody()) {
        body.write(reply.body());
      }
    }
    exchange.close();
  }

  private record GeneratedBody(long length, boolean chunked, String... headers) {
    void send(HttpExchange exchange) throws IOException {
      for (int i = 0; i < headers.length; i += 2) {
        exchange.getResponseHeaders().add(headers[i], headers[i + 1]);
      }
      exchange.sendResponseHeaders(200, chunked ? 0 : length);
      byte[] block = new byte[64 * 1024];
      try (OutputStream body = exchange.getResponseBody()) {
        for (long sent = 0; sent < length; ) {
          int n = (int) Math.min(block.length, length - sent);
          for (int i = 0; i < n; i++) {
            block[i] = patternByte(sent + i);
          }
          body.write(block, 0, n);
          sent += n;
        }
      }
      exchange.close();
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
