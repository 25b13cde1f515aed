package io.edgecache.edge;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A real HTTP origin on loopback; records requests, answers with a test-supplied handler. */
final class TestOrigin implements AutoCloseable {
  interface Handler {
    void handle(HttpExchange exchange) throws IOException;
  }

  final BlockingQueue<HttpExchange> received = new LinkedBlockingQueue<>();
  private final HttpServer server;
  private volatile Handler handler = exchange -> respond(exchange, 200, "hello from origin");

  TestOrigin() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    server.createContext("/", exchange -> {
      received.add(exchange);
      try {
        handler.handle(exchange);
      } finally {
        exchange.close();
      }
    });
    server.setExecutor(Executors.newCachedThreadPool());
    server.start();
  }

  void handler(Handler handler) {
    this.handler = handler;
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  HttpExchange next() throws InterruptedException {
    HttpExchange exchange = received.poll(5, TimeUnit.SECONDS);
    if (exchange == null) {
      throw new AssertionError("origin got no request within 5s");
    }
    return exchange;
  }

  static void respond(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes();
    exchange.getResponseHeaders().set("Content-Type", "text/plain");
    exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
