package io.edgecache.admin;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A read-only HTTP server for a process's admin port: a few {@code GET} pages ({@code /metrics},
 * {@code /stats}, {@code /healthz}) and probes ({@code /readyz}), anything else 404, other
 * methods 405.
 *
 * <p>Requests are read without blocking (Netty), so a client that never finishes its request
 * holds no thread: the JDK {@code HttpServer} each process used gave every connection a thread
 * while it read the request (or ran it on its only thread), so a few half-sent requests
 * silenced health checks and scrapes. A connection that sends nothing for 30 s is closed (pages
 * take milliseconds to send), at most {@value #MAX_CONNECTIONS} are open (further ones are
 * closed at once), request heads are capped at 8 KiB. Pages are written on
 * two threads of their own, away from the network thread, since building one may read tiers
 * or collect metrics.
 *
 * <pre>{@code
 * AdminPages pages = AdminPages.builder()
 *     .page("/metrics", "text/plain; version=0.0.4", telemetry::writePrometheus)
 *     .page("/healthz", "text/plain", out -> out.write(OK))
 *     .start(new InetSocketAddress("127.0.0.1", 9902), "edgecache-admin");
 * }</pre>
 */
public final class AdminPages implements AutoCloseable {

  static final Duration READ_TIMEOUT = Duration.ofSeconds(30);
  static final int MAX_CONNECTIONS = 256;
  private static final int MAX_HEAD_BYTES = 8 << 10;
  private static final int MAX_BODY_BYTES = 64 << 10;

  /** Writes one page's body. */
  @FunctionalInterface
  public interface Page {
    void writeTo(OutputStream out) throws IOException;
  }

  /**
   * A page and, for a probe, why it cannot answer 200 now ({@code unavailable} gives null while
   * it can).
   */
  private record Served(String contentType, Page page, Supplier<String> unavailable) {}

  private static final Supplier<String> ALWAYS_AVAILABLE = () -> null;
  private static final byte[] OK = "ok\n".getBytes(StandardCharsets.UTF_8);

  private final NettyListener listener;

  private AdminPages(NettyListener listener) {
    this.listener = listener;
  }

  public static Builder builder() {
    return new Builder();
  }

  public int port() {
    return listener.port();
  }

  @Override
  public void close() {
    listener.close();
  }

  /** The pages, by path; each path once. */
  public static final class Builder {
    private final Map<String, Served> pages = new LinkedHashMap<>();
    private Duration readTimeout = READ_TIMEOUT;
    private int maxConnections = MAX_CONNECTIONS;

    private Builder() {}

    /** Other bounds than the defaults (tests, which cannot wait 30 s or open 256 sockets). */
    Builder bounds(Duration newReadTimeout, int newMaxConnections) {
      if (newReadTimeout.isZero() || newReadTimeout.isNegative() || newMaxConnections < 1) {
        throw new IllegalArgumentException("bounds must be positive: " + newReadTimeout
            + ", " + newMaxConnections);
      }
      readTimeout = newReadTimeout;
      maxConnections = newMaxConnections;
      return this;
    }

    /** Serves {@code page} at {@code path} (exact, starting with {@code /}) to GET requests. */
    public Builder page(String path, String contentType, Page page) {
      return add(path, new Served(contentType, page, ALWAYS_AVAILABLE));
    }

    /**
     * Serves a probe at {@code path}: {@code 200 ok} while {@code unavailableBecause} gives
     * null, else {@code 503} with the reason it gives (Kubernetes' HTTP readiness probe, for a
     * port the kubelet cannot probe itself, as a gRPC port that requires client certificates).
     */
    public Builder probe(String path, Supplier<String> unavailableBecause) {
      return add(path, new Served("text/plain", out -> out.write(OK), unavailableBecause));
    }

    private Builder add(String path, Served served) {
      if (!path.startsWith("/")) {
        throw new IllegalArgumentException("a page's path starts with '/': " + path);
      }
      if (pages.putIfAbsent(path, served) != null) {
        throw new IllegalArgumentException("two pages at " + path);
      }
      return this;
    }

    /**
     * Listens on {@code listen} (port 0 for an ephemeral one); threads are named after
     * {@code threadName}. Throws {@link IOException} when the address cannot be bound.
     */
    public AdminPages start(InetSocketAddress listen, String threadName) throws IOException {
      if (pages.isEmpty()) {
        throw new IllegalStateException("no pages to serve");
      }
      Pages handler = new Pages(Map.copyOf(pages));
      ConnectionCap cap = new ConnectionCap(maxConnections);
      long readTimeoutMillis = readTimeout.toMillis();
      return new AdminPages(NettyListener.start(listen, threadName, 2, (channel, writers) -> {
        if (cap.admit(channel)) {
          channel.pipeline()
              .addLast(new ReadTimeoutHandler(readTimeoutMillis, TimeUnit.MILLISECONDS))
              .addLast(new HttpServerCodec(4096, MAX_HEAD_BYTES, 8192))
              .addLast(new HttpObjectAggregator(MAX_BODY_BYTES))
              .addLast(writers, handler);
        }
      }));
    }
  }

  /** Answers every connection's requests; holds no per-connection state. */
  @ChannelHandler.Sharable
  private static final class Pages extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final Map<String, Served> pages;
    private final String notFound;

    Pages(Map<String, Served> pages) {
      this.pages = pages;
      this.notFound = "not found: try " + String.join(", ", pages.keySet().stream().sorted()
          .toList()) + "\n";
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      if (request.decoderResult().isFailure()) {
        reply(ctx, false, text(HttpResponseStatus.BAD_REQUEST,
            "bad request: " + request.decoderResult().cause().getMessage() + "\n"));
        return;
      }
      boolean keepAlive = HttpUtil.isKeepAlive(request);
      Served served = pages.get(new QueryStringDecoder(request.uri()).path());
      String unavailable = served == null ? null : served.unavailable().get();
      if (served == null) {
        reply(ctx, keepAlive, text(HttpResponseStatus.NOT_FOUND, notFound));
      } else if (!request.method().equals(HttpMethod.GET)) {
        FullHttpResponse refused =
            text(HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed: use GET\n");
        refused.headers().set(HttpHeaderNames.ALLOW, "GET");
        reply(ctx, keepAlive, refused);
      } else if (unavailable != null) {
        reply(ctx, keepAlive, text(HttpResponseStatus.SERVICE_UNAVAILABLE, unavailable + "\n"));
      } else {
        ByteBuf body = ctx.alloc().buffer();
        try (ByteBufOutputStream out = new ByteBufOutputStream(body)) {
          served.page().writeTo(out);
        } catch (IOException | RuntimeException e) {
          body.release();
          reply(ctx, false, text(HttpResponseStatus.INTERNAL_SERVER_ERROR,
              "could not build " + request.uri() + ": " + e + "\n"));
          return;
        }
        reply(ctx, keepAlive, response(HttpResponseStatus.OK, served.contentType(), body));
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close(); // a reset connection or a read timeout
    }

    private static FullHttpResponse text(HttpResponseStatus status, String body) {
      return response(status, "text/plain; charset=utf-8",
          Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
    }

    private static FullHttpResponse response(HttpResponseStatus status, String type,
        ByteBuf body) {
      FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
      response.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
      HttpUtil.setContentLength(response, body.readableBytes());
      return response;
    }

    private static void reply(ChannelHandlerContext ctx, boolean keepAlive,
        FullHttpResponse response) {
      HttpUtil.setKeepAlive(response, keepAlive);
      ctx.writeAndFlush(response).addListener(keepAlive
          ? ChannelFutureListener.CLOSE_ON_FAILURE : ChannelFutureListener.CLOSE);
    }
  }
}
