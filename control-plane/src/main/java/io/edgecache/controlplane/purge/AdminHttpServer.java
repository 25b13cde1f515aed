package io.edgecache.controlplane.purge;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.edgecache.admin.AdminApi;
import io.edgecache.proto.purge.v1.PurgeList;
import io.edgecache.proto.purge.v1.PurgeRequest;
import io.edgecache.proto.purge.v1.WarmRequest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

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
 * {@code {"error": "..."}} with 400, 401, 403, 404, 405, 413, 429 (with Retry-After) or 503.
 * Served by {@link AdminApi}: requests are read without blocking and must arrive whole within
 * 10 s, at most 32 connections come from one address, so clients that send slowly hold up
 * neither threads nor everyone else's connections.
 */
public final class AdminHttpServer implements AutoCloseable {

  private static final JsonFormat.Printer PRINTER = JsonFormat.printer().includingDefaultValueFields();
  private static final int MAX_BODY_BYTES = 1 << 20;

  private final AdminApi api;

  AdminHttpServer(InetSocketAddress listen, PurgeAdmin admin) throws IOException {
    this.api = AdminApi.start(listen, "purge-admin-http", MAX_BODY_BYTES, new Routes(admin));
  }

  public int port() {
    return api.port();
  }

  /** The paths, each call checked by {@link PurgeAdmin} as described above. */
  private record Routes(PurgeAdmin admin) implements AdminApi.Handler {

    @Override
    public Optional<AdminApi.Reply> beforeBody(AdminApi.Head head) {
      try {
        admin.admit(head.header("authorization"), head.source());
        return Optional.empty();
      } catch (AdminError refusal) {
        Map<String, String> headers = new HashMap<>();
        if (refusal.httpStatus() == 401) {
          headers.put("WWW-Authenticate", "Bearer");
        } else if (refusal.httpStatus() == 429) {
          headers.put("Retry-After", Long.toString(AuthFailureLimiter.REFILL_SECONDS));
        }
        return Optional.of(new AdminApi.Reply(refusal.httpStatus(), headers,
            AdminApi.error(refusal.getMessage())));
      }
    }

    @Override
    public AdminApi.Reply handle(AdminApi.Request request) {
      String path = request.head().path();
      try {
        Reply reply;
        if (path.startsWith("/purges")) {
          reply = purges(request, admin);
        } else if (path.startsWith("/warm")) {
          reply = warm(request, admin);
        } else {
          throw AdminError.notFound("no such resource " + path + "; try /purges or /warm");
        }
        return new AdminApi.Reply(reply.status(), PRINTER.print(reply.body()));
      } catch (AdminError e) {
        return new AdminApi.Reply(e.httpStatus(),
            e.httpStatus() == 429 ? Map.of("Retry-After", "1") : Map.of(),
            AdminApi.error(e.getMessage()));
      } catch (MethodNotAllowed e) {
        return new AdminApi.Reply(405, Map.of("Allow", e.allow), AdminApi.error(e.getMessage()));
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalStateException("a purge API message could not be printed", e);
      }
    }
  }

  private static Reply purges(AdminApi.Request request, PurgeAdmin admin) throws AdminError {
    String auth = request.head().header("authorization");
    String rest = subPath(request.head().path(), "/purges");
    String method = request.head().method();
    if (rest.isEmpty() && method.equals("POST")) {
      PurgeRequest.Builder purge = PurgeRequest.newBuilder();
      parse(request.body(), purge);
      return new Reply(202, admin.submit(auth, purge.build()));
    }
    if (rest.isEmpty() && method.equals("GET")) {
      return new Reply(200, PurgeList.newBuilder()
          .addAllPurges(admin.list(auth, limit(request.head().rawQuery()))).build());
    }
    if (!rest.isEmpty() && method.equals("GET")) {
      return new Reply(200, admin.status(auth, rest));
    }
    throw new MethodNotAllowed(rest.isEmpty() ? "GET, POST" : "GET");
  }

  private static Reply warm(AdminApi.Request request, PurgeAdmin admin) throws AdminError {
    String auth = request.head().header("authorization");
    String rest = subPath(request.head().path(), "/warm");
    String method = request.head().method();
    if (rest.isEmpty() && method.equals("POST")) {
      WarmRequest.Builder warm = WarmRequest.newBuilder();
      parse(request.body(), warm);
      return new Reply(202, admin.warm(auth, warm.build()));
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

  private static String subPath(String path, String prefix) throws AdminError {
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

  private static int limit(String query) throws AdminError {
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

  private static void parse(byte[] body, Message.Builder into) throws AdminError {
    try {
      JsonFormat.parser().merge(new String(body, StandardCharsets.UTF_8), into);
    } catch (InvalidProtocolBufferException e) {
      throw AdminError.badRequest("body: not a valid " + into.getDescriptorForType().getName() + ": "
          + e.getMessage());
    }
  }

  @Override
  public void close() {
    api.close();
  }
}
