package io.edgecache.admin;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A small HTTP/1.1 server for an authenticated API (the control plane's purge and warm API):
 * requests are read without blocking, so a client that sends its request slowly holds no
 * thread; each request must arrive whole within {@link #REQUEST_DEADLINE} of its connection
 * opening or of the previous answer, or the connection is closed; at most
 * {@value #MAX_CONNECTIONS} connections are open, {@value #MAX_CONNECTIONS_PER_SOURCE} from any
 * one address (further ones are closed at once); heads are capped at 8 KiB and bodies at
 * {@code maxBodyBytes}.
 *
 * <p>The {@link Handler} sees a request's head before its body is read ({@link
 * Handler#beforeBody}), so credentials can be refused without reading what follows: the answer
 * is sent at once and the connection closed unread. Whole requests are answered on worker
 * threads, since answering may block (a purge is written to its log first).
 */
public final class AdminApi implements AutoCloseable {

  private static final Logger log = Logger.getLogger(AdminApi.class.getName());

  static final Duration REQUEST_DEADLINE = Duration.ofSeconds(10);
  static final int MAX_CONNECTIONS = 256;
  static final int MAX_CONNECTIONS_PER_SOURCE = 32;
  private static final int MAX_HEAD_BYTES = 8 << 10;
  private static final int WORKER_THREADS = 4;

  /** A request as far as its head. */
  public record Head(String method, String path, String rawQuery, String source,
      Map<String, String> headers) {
    /** The first value of header {@code name} (any case), or null. */
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  /** A whole request. */
  public record Request(Head head, byte[] body) {}

  /** An answer: status, extra headers, a JSON body. */
  public record Reply(int status, Map<String, String> headers, String json) {
    public Reply(int status, String json) {
      this(status, Map.of(), json);
    }
  }

  /** Answers requests; called on worker threads, one request at a time per connection. */
  public interface Handler {
    /**
     * An answer to send before the body is read, closing the connection (a refusal), or empty
     * to read the request whole. Called on the network thread: it must not block.
     */
    default Optional<Reply> beforeBody(Head head) {
      return Optional.empty();
    }

    Reply handle(Request request);
  }

  private final NettyListener listener;

  private AdminApi(NettyListener listener) {
    this.listener = listener;
  }

  /** Listens on {@code listen}; bodies over {@code maxBodyBytes} are answered 413. */
  public static AdminApi start(InetSocketAddress listen, String threadName, int maxBodyBytes,
      Handler handler) throws IOException {
    return start(listen, threadName, maxBodyBytes, handler, REQUEST_DEADLINE,
        MAX_CONNECTIONS, MAX_CONNECTIONS_PER_SOURCE);
  }

  /** With other bounds than the defaults (tests, which cannot wait 10 s or open 256 sockets). */
  static AdminApi start(InetSocketAddress listen, String threadName, int maxBodyBytes,
      Handler handler, Duration deadline, int maxConnections, int maxPerSource)
      throws IOException {
    ConnectionCap cap = new ConnectionCap(maxConnections, maxPerSource);
    Answers answers = new Answers(handler);
    return new AdminApi(NettyListener.start(listen, threadName, WORKER_THREADS,
        (channel, workers) -> {
          if (cap.admit(channel)) {
            channel.pipeline()
                .addLast(new HttpServerCodec(4096, MAX_HEAD_BYTES, 8192))
                .addLast(new HeadCheck(handler))
                .addLast(new HttpObjectAggregator(maxBodyBytes))
                .addLast(new RequestDeadline(deadline))
                .addLast(workers, answers);
          }
        }));
  }

  public int port() {
    return listener.port();
  }

  @Override
  public void close() {
    listener.close();
  }

  static Head head(HttpRequest request, ChannelHandlerContext ctx) {
    QueryStringDecoder target = new QueryStringDecoder(request.uri());
    int query = request.uri().indexOf('?');
    Map<String, String> headers = new HashMap<>();
    for (Map.Entry<String, String> header : request.headers()) {
      headers.putIfAbsent(header.getKey().toLowerCase(Locale.ROOT), header.getValue());
    }
    InetSocketAddress peer = (InetSocketAddress) ctx.channel().remoteAddress();
    return new Head(request.method().name(), target.path(),
        query < 0 ? null : request.uri().substring(query + 1),
        peer.getAddress().getHostAddress(), Map.copyOf(headers));
  }

  static void send(ChannelHandlerContext ctx, Reply reply, boolean keepAlive) {
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
        HttpResponseStatus.valueOf(reply.status()),
        Unpooled.copiedBuffer(reply.json(), StandardCharsets.UTF_8));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
    reply.headers().forEach(response.headers()::set);
    HttpUtil.setContentLength(response, response.content().readableBytes());
    HttpUtil.setKeepAlive(response, keepAlive);
    ctx.writeAndFlush(response).addListener(keepAlive
        ? ChannelFutureListener.CLOSE_ON_FAILURE : ChannelFutureListener.CLOSE);
  }

  /**
   * Closes the connection unless a whole request arrives within the deadline, counted from the
   * connection opening and again from each answer written: a client dribbling its request a
   * byte at a time cannot hold the connection longer than that. Runs on the network thread
   * only (it sits after the aggregator, before the worker-run {@link Answers}).
   */
  private static final class RequestDeadline extends ChannelDuplexHandler {
    private final Duration deadline;
    private ScheduledFuture<?> timer;

    RequestDeadline(Duration deadline) {
      this.deadline = deadline;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      arm(ctx);
      ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
      if (message instanceof FullHttpRequest) {
        disarm();
      }
      ctx.fireChannelRead(message);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object message, ChannelPromise promise) {
      if (message instanceof FullHttpResponse response && HttpUtil.isKeepAlive(response)) {
        promise.addListener(written -> {
          if (written.isSuccess()) {
            arm(ctx);
          }
        });
      }
      ctx.write(message, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      disarm();
      ctx.fireChannelInactive();
    }

    private void arm(ChannelHandlerContext ctx) {
      disarm();
      timer = ctx.executor().schedule(() -> {
        log.fine("closing an admin API connection: no whole request within " + deadline);
        ctx.close();
      }, deadline.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void disarm() {
      if (timer != null) {
        timer.cancel(false);
        timer = null;
      }
    }
  }

  /** Lets the handler refuse a request from its head; then drops what the client sends. */
  private static final class HeadCheck extends ChannelInboundHandlerAdapter {
    private final Handler handler;
    private boolean refused;

    HeadCheck(Handler handler) {
      this.handler = handler;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
      if (refused) {
        ReferenceCountUtil.release(message);
        return;
      }
      if (message instanceof HttpRequest request && !request.decoderResult().isFailure()) {
        Optional<Reply> refusal;
        try {
          refusal = handler.beforeBody(head(request, ctx));
        } catch (RuntimeException e) {
          log.log(Level.WARNING, "admin API head check failed", e);
          refusal = Optional.of(new Reply(500, "{\"error\":\"internal error\"}"));
        }
        if (refusal.isPresent()) {
          refused = true;
          ReferenceCountUtil.release(message);
          send(ctx, refusal.get(), false);
          return;
        }
      }
      ctx.fireChannelRead(message);
    }
  }

  /** Answers whole requests on a worker thread. */
  @ChannelHandler.Sharable
  private static final class Answers extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final Handler handler;

    Answers(Handler handler) {
      this.handler = handler;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      if (request.decoderResult().isFailure()) {
        send(ctx, new Reply(400, error("bad request: "
            + request.decoderResult().cause().getMessage())), false);
        return;
      }
      Reply reply;
      try {
        reply = handler.handle(new Request(head(request, ctx),
            ByteBufUtil.getBytes(request.content())));
      } catch (RuntimeException e) {
        log.log(Level.WARNING, "admin API request " + request.uri() + " failed", e);
        reply = new Reply(500, error("internal error"));
      }
      send(ctx, reply, HttpUtil.isKeepAlive(request));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close(); // a reset connection
    }
  }

  /** {@code {"error": message}}, escaped. */
  public static String error(String message) {
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
}
