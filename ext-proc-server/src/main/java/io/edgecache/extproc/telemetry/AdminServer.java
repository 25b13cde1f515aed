package io.edgecache.extproc.telemetry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
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
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.EventExecutorGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The cache node's admin port: {@code /metrics} (Prometheus text format), {@code /stats}
 * (JSON for humans: outcomes, hit ratio, tiers, configuration version) and {@code /healthz}.
 *
 * <p>Requests are read without blocking (Netty), so a client that never finishes its request
 * holds no thread: the JDK server this replaced gave each connection one of its two threads
 * while it read the request, and a few half-sent requests silenced {@code /healthz}. A
 * connection that sends nothing for {@value #IDLE_SECONDS} s is closed, at most {@value #MAX_CONNECTIONS}
 * are open at once. Answers are built on two threads of their own, away from the ext_proc
 * transport threads and from this port's network thread (building {@code /stats} reads tiers).
 */
public final class AdminServer implements AutoCloseable {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  static final int IDLE_SECONDS = 30;
  static final int MAX_CONNECTIONS = 256;
  /** Request line plus headers; an admin request needs far less. */
  private static final int MAX_HEAD_BYTES = 8 << 10;
  private static final int MAX_BODY_BYTES = 64 << 10;

  private final EventLoopGroup network;
  private final EventExecutorGroup answers;
  private final Channel server;

  /**
   * @param listen address to bind (port 0 for an ephemeral one)
   * @param telemetry where /metrics comes from
   * @param stats builds the /stats document
   */
  public AdminServer(InetSocketAddress listen, Telemetry telemetry,
      Supplier<Map<String, Object>> stats) throws IOException {
    this.network = new NioEventLoopGroup(1,
        new ThreadFactoryBuilder().setNameFormat("edgecache-admin-io").setDaemon(true).build());
    this.answers = new DefaultEventExecutorGroup(2,
        new ThreadFactoryBuilder().setNameFormat("edgecache-admin-%d").setDaemon(true).build());
    AtomicInteger open = new AtomicInteger();
    Endpoints endpoints = new Endpoints(telemetry, stats);
    try {
      this.server = new ServerBootstrap()
          .group(network)
          .channel(NioServerSocketChannel.class)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel channel) {
              if (open.incrementAndGet() > MAX_CONNECTIONS) {
                open.decrementAndGet();
                channel.close();
                return;
              }
              channel.closeFuture().addListener(closed -> open.decrementAndGet());
              channel.pipeline()
                  .addLast(new ReadTimeoutHandler(IDLE_SECONDS)) // answers take milliseconds
                  .addLast(new HttpServerCodec(4096, MAX_HEAD_BYTES, 8192))
                  .addLast(new HttpObjectAggregator(MAX_BODY_BYTES))
                  .addLast(answers, endpoints);
            }
          })
          .bind(listen)
          .sync()
          .channel();
    } catch (Exception e) { // Netty rethrows the bind failure undeclared
      shutDown();
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw e instanceof IOException io ? io : new IOException("cannot listen on " + listen, e);
    }
  }

  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    shutDown();
  }

  private void shutDown() {
    network.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    answers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  /** The three endpoints; shared by every connection, holding no per-connection state. */
  @io.netty.channel.ChannelHandler.Sharable
  private static final class Endpoints extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final Telemetry telemetry;
    private final Supplier<Map<String, Object>> stats;

    Endpoints(Telemetry telemetry, Supplier<Map<String, Object>> stats) {
      this.telemetry = telemetry;
      this.stats = stats;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request)
        throws IOException {
      if (request.decoderResult().isFailure()) {
        reply(ctx, false, text(HttpResponseStatus.BAD_REQUEST,
            "bad request: " + request.decoderResult().cause().getMessage() + "\n"));
        return;
      }
      boolean keepAlive = HttpUtil.isKeepAlive(request);
      String path = new QueryStringDecoder(request.uri()).path();
      boolean known = path.equals("/metrics") || path.equals("/stats") || path.equals("/healthz");
      if (!known) {
        reply(ctx, keepAlive, text(HttpResponseStatus.NOT_FOUND,
            "not found: try /metrics, /stats or /healthz\n"));
      } else if (!request.method().equals(HttpMethod.GET)) {
        FullHttpResponse refused = text(HttpResponseStatus.METHOD_NOT_ALLOWED,
            "method not allowed: use GET\n");
        refused.headers().set(HttpHeaderNames.ALLOW, "GET");
        reply(ctx, keepAlive, refused);
      } else {
        reply(ctx, keepAlive, answer(ctx, path));
      }
    }

    private FullHttpResponse answer(ChannelHandlerContext ctx, String path) throws IOException {
      return switch (path) {
        case "/metrics" -> {
          ByteBuf body = ctx.alloc().buffer();
          try (ByteBufOutputStream out = new ByteBufOutputStream(body)) {
            telemetry.writePrometheus(out);
          } catch (IOException | RuntimeException e) {
            body.release();
            throw e;
          }
          yield response(HttpResponseStatus.OK, "text/plain; version=0.0.4", body);
        }
        case "/stats" -> response(HttpResponseStatus.OK, "application/json",
            Unpooled.wrappedBuffer(JSON.writeValueAsBytes(stats.get())));
        default -> text(HttpResponseStatus.OK, "ok\n");
      };
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close(); // a reset connection, a read timeout, or an answer that failed to build
    }

    private static FullHttpResponse text(HttpResponseStatus status, String body) {
      return response(status, "text/plain",
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
