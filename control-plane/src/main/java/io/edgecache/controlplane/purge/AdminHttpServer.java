package io.edgecache.controlplane.purge;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.edgecache.proto.purge.v1.PurgeList;
import io.edgecache.proto.purge.v1.PurgeRequest;
import io.edgecache.proto.purge.v1.WarmRequest;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The REST face of {@link PurgeAdmin} (JSON in the proto3 JSON mapping of the purge.proto
 * messages):
 *
 * <pre>
 * POST /purges       {"kind":"TAG","value":"product-42","soft":false}  → 202 PurgeStatus
 * GET  /purges/{id}  → 200 PurgeStatus (acked and pending nodes, complete)
 * GET  /purges?limit=N → 200 {"purges":[...]}, newest first
 * POST /warm         {"urls":["http://host/path", ...]}               → 202 WarmProgress
 * GET  /warm/{id}    → 200 WarmProgress
 * </pre>
 *
 * Every call needs {@code Authorization: Bearer <token>}, checked before the body is read;
 * a source that fails authentication too often gets 429 for a while. Errors are
 * {@code {"error": "..."}} with 400, 401, 403, 404, 405, 429 (with Retry-After) or 503.
 */
public final class AdminHttpServer implements AutoCloseable {

  private static final Logger log = Logger.getLogger(AdminHttpServer.class.getName());
  private static final JsonFormat.Printer PRINTER = JsonFormat.printer().includingDefaultValueFields();
  private static final int MAX_BODY_BYTES = 1 << 20;
  /** How long a request may take to arrive, and its response to leave. */
  static final long REQUEST_SECONDS = 10;

  static {
    // The JDK server writes a response's head and body separately; with Nagle's algorithm the
    // body then waits for the client's delayed ACK (40 ms on Linux) on every call. Read once,
    // when the first JDK HTTP server starts in this JVM.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
    // Nothing waits forever: a request (head and body) must arrive within maxReqTime and its
    // response leave within maxRspTime, or the JDK server closes the connection; idle
    // keep-alive connections go after idleInterval; connections are capped where the JDK
    // supports it (jdk.httpserver.maxConnections, JDK 19+). Same once-per-JVM caveat as above.
    setDefault("sun.net.httpserver.maxReqTime", Long.toString(REQUEST_SECONDS));
    setDefault("sun.net.httpserver.maxRspTime", Long.toString(REQUEST_SECONDS));
    setDefault("sun.net.httpserver.idleInterval", "30");
    setDefault("sun.net.httpserver.maxIdleConnections", "32");
    setDefault("jdk.httpserver.maxConnections", "64");
  }

  private static void setDefault(String property, String value) {
    if (System.getProperty(property) == null) {
      System.setProperty(property, value);
    }
  }

  private final HttpServer server;
  private final PurgeAdmin admin;
  private final ExecutorService executor = Executors.newFixedThreadPool(4,
      new ThreadFactoryBuilder().setNameFormat("purge-admin-http").setDaemon(true).build());

  AdminHttpServer(InetSocketAddress listen, PurgeAdmin admin) throws IOException {
    this.admin = admin;
    server = HttpServer.create(listen, 64);
    server.createContext("/purges", exchange -> handle(exchange, () -> purges(exchange, admin)));
    server.createContext("/warm", exchange -> handle(exchange, () -> warm(exchange, admin)));
    server.setExecutor(executor);
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private static Reply purges(HttpExchange exchange, PurgeAdmin admin) throws AdminError, IOException {
    String auth = exchange.getRequestHeaders().getFirst("Authorization");
    String rest = subPath(exchange, "/purges");
    String method = exchange.getRequestMethod();
    if (rest.isEmpty() && method.equals("POST")) {
      PurgeRequest.Builder request = PurgeRequest.newBuilder();
      parse(exchange, request);
      return new Reply(202, admin.submit(auth, request.build()));
    }
    if (rest.isEmpty() && method.equals("GET")) {
      return new Reply(200, PurgeList.newBuilder().addAllPurges(admin.list(auth, limit(exchange))).build());
    }
    if (!rest.isEmpty() && method.equals("GET")) {
      return new Reply(200, admin.status(auth, rest));
    }
    throw new MethodNotAllowed(rest.isEmpty() ? "GET, POST" : "GET");
  }

  private static Reply warm(HttpExchange exchange, PurgeAdmin admin) throws AdminError, IOException {
    String auth = exchange.getRequestHeaders().getFirst("Authorization");
    String rest = subPath(exchange, "/warm");
    String method = exchange.getRequestMethod();
    if (rest.isEmpty() && method.equals("POST")) {
      WarmRequest.Builder request = WarmRequest.newBuilder();
      parse(exchange, request);
      return new Reply(202, admin.warm(auth, request.build()));
    }
    if (!rest.isEmpty() && method.equals("GET")) {
      return new Reply(200, admin.warmStatus(auth, rest));
    }
    throw new MethodNotAllowed(rest.isEmpty() ? "POST" : "GET");
  }

  private record Reply(int status, Message body) {}

  /** Thrown for a method the path does not take; answered 405 with Allow. */
  private static final class MethodNotAllowed extends RuntimeException {
    private final String allow;

    MethodNotAllowed(String allow) {
      super("method not allowed; use " + allow, null, false, false);
      this.allow = allow;
    }
  }

  private void handle(HttpExchange exchange, ReplySupplier work) {
    try {
      admin.admit(exchange.getRequestHeaders().getFirst("Authorization"),
          exchange.getRemoteAddress().getAddress().getHostAddress());
    } catch (AdminError e) {
      refuseUnread(exchange, e);
    }
    try (exchange) {
      try {
        Reply reply = work.get();
        send(exchange, reply.status(), PRINTER.print(reply.body()));
      } catch (AdminError e) {
        if (e.httpStatus() == 429) {
          exchange.getResponseHeaders().set("Retry-After", "1");
        }
        send(exchange, e.httpStatus(), error(e.getMessage()));
      } catch (MethodNotAllowed e) {
        exchange.getResponseHeaders().set("Allow", e.allow);
        send(exchange, 405, error(e.getMessage()));
      }
    } catch (IOException | RuntimeException e) {
      log.log(Level.WARNING, "admin request " + exchange.getRequestURI() + " failed", e);
    }
  }

  /**
   * Answers a call refused before its body was read, then drops the connection: closing the
   * exchange would drain the unread body, which a slow client could make take as long as it
   * likes. The JDK server closes a connection whose handler throws, without draining.
   */
  private static void refuseUnread(HttpExchange exchange, AdminError refusal) {
    try {
      byte[] body = error(refusal.getMessage()).getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.getResponseHeaders().set("Connection", "close");
      if (refusal.httpStatus() == 401) {
        exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
      } else if (refusal.httpStatus() == 429) {
        exchange.getResponseHeaders().set("Retry-After", Long.toString(AuthFailureLimiter.REFILL_SECONDS));
      }
      if (sendHead(exchange, refusal.httpStatus(), body.length)) {
        OutputStream out = exchange.getResponseBody();
        out.write(body);
        out.flush(); // not closed: closing the response drains the request body too
      }
    } catch (IOException e) {
      log.log(Level.FINE, "refused admin call: client gone", e);
    }
    throw new ConnectionDropped();
  }

  /** Makes the JDK server close the connection at once, without draining the request. */
  private static final class ConnectionDropped extends RuntimeException {
    ConnectionDropped() {
      super("admin call refused before its body was read", null, false, false);
    }
  }

  private interface ReplySupplier {
    Reply get() throws AdminError, IOException;
  }

  private static String subPath(HttpExchange exchange, String prefix) throws AdminError {
    String path = exchange.getRequestURI().getPath();
    String rest = path.length() > prefix.length() ? path.substring(prefix.length()) : "";
    if (!rest.isEmpty() && !rest.startsWith("/")) {
      throw AdminError.notFound("no such resource " + path);
    }
    rest = rest.isEmpty() ? "" : rest.substring(1);
    if (rest.contains("/")) {
      throw AdminError.notFound("no such resource " + path);
    }
    return rest;
  }

  private static int limit(HttpExchange exchange) throws AdminError {
    String query = exchange.getRequestURI().getRawQuery();
    if (query == null) {
      return 0;
    }
    for (String pair : query.split("&")) {
      if (pair.startsWith("limit=")) {
        try {
          return Integer.parseInt(pair.substring(6));
        } catch (NumberFormatException e) {
          throw AdminError.badRequest("limit: expected a number, got '" + pair.substring(6) + "'");
        }
      }
    }
    return 0;
  }

  private static void parse(HttpExchange exchange, Message.Builder into) throws AdminError, IOException {
    byte[] body = exchange.getRequestBody().readNBytes(MAX_BODY_BYTES + 1);
    if (body.length > MAX_BODY_BYTES) {
      throw AdminError.badRequest("body: larger than " + MAX_BODY_BYTES + " bytes");
    }
    try {
      JsonFormat.parser().merge(new String(body, StandardCharsets.UTF_8), into);
    } catch (InvalidProtocolBufferException e) {
      throw AdminError.badRequest("body: not a valid " + into.getDescriptorForType().getName() + ": "
          + e.getMessage());
    }
  }

  private static String error(String message) {
    StringBuilder json = new StringBuilder("{\"error\":\"");
    for (char c : message.toCharArray()) {
      switch (c) {
        case '"' -> json.append("\\\"");
        case '\\' -> json.append("\\\\");
        case '\n' -> json.append("\\n");
        default -> {
          if (c < 0x20) {
            json.append(String.format("\\u%04x", (int) c));
          } else {
            json.append(c);
          }
        }
      }
    }
    return json.append("\"}").toString();
  }

  private static void send(HttpExchange exchange, int status, String json) throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    boolean withBody = sendHead(exchange, status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      if (withBody) {
        out.write(body);
      }
    }
  }

  /**
   * Sends the status line and headers; false for a response to HEAD, which has no body (the
   * JDK server wants length -1 for it, and warns on every HEAD otherwise).
   */
  private static boolean sendHead(HttpExchange exchange, int status, int bodyLength)
      throws IOException {
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : bodyLength);
    return !head;
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
