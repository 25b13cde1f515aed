package io.edgecache.extproc.store.http;

import io.edgecache.extproc.http.HeaderList;
import io.edgecache.extproc.store.tier.DiskTier;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Serves stored bodies too large for one {@code immediate_response}: {@code GET
 * /entries?key=<store key>} answers the entry's status and headers and streams its body from
 * the disk tier with zero-copy file transfer, so the heap never holds it. A single {@code Range}
 * is answered with 206 (or 416 when it lies outside the body).
 *
 * <p>Envoy (or local-edge) is pointed here for a large hit by a header mutation that reroutes
 * the request; the endpoint itself trusts the ext_proc server's decision and checks no
 * freshness.
 */
public final class BodyEndpoint implements AutoCloseable {

  public static final String PATH = "/entries";
  /** Framing is the endpoint's own; stored framing fields would contradict it. */
  private static final Set<String> FRAMING =
      Set.of("content-length", "transfer-encoding", "content-range", "accept-ranges");

  private final EventLoopGroup group;
  private final Channel server;

  private BodyEndpoint(EventLoopGroup group, Channel server) {
    this.group = group;
    this.server = server;
  }

  /** Starts listening; throws {@link IOException} when the address cannot be bound. */
  public static BodyEndpoint start(InetSocketAddress listen, DiskTier disk) throws IOException {
    EventLoopGroup group = new NioEventLoopGroup(1);
    try {
      Channel server = new ServerBootstrap()
          .group(group)
          .channel(NioServerSocketChannel.class)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel channel) {
              channel.pipeline()
                  .addLast(new HttpServerCodec())
                  .addLast(new HttpObjectAggregator(64 << 10)) // GET requests carry no body
                  .addLast(new Handler(disk));
            }
          })
          .bind(listen)
          .sync()
          .channel();
      return new BodyEndpoint(group, server);
    } catch (Exception e) { // Netty rethrows the bind failure undeclared
      group.shutdownGracefully();
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
    group.shutdownGracefully().syncUninterruptibly();
  }

  private static final class Handler extends SimpleChannelInboundHandler<HttpRequest> {
    private final DiskTier disk;

    Handler(DiskTier disk) {
      this.disk = disk;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpRequest request) {
      boolean keepAlive = HttpUtil.isKeepAlive(request);
      QueryStringDecoder uri = new QueryStringDecoder(request.uri());
      List<String> keys = uri.parameters().get("key");
      if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
        sendError(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, keepAlive);
      } else if (!uri.path().equals(PATH) || keys == null || keys.size() != 1) {
        sendError(ctx, HttpResponseStatus.NOT_FOUND, keepAlive);
      } else {
        String range = request.headers().get(HttpHeaderNames.RANGE);
        boolean head = request.method().equals(HttpMethod.HEAD);
        disk.openBody(keys.get(0)).whenComplete((entry, error) -> {
          if (error != null || entry.isEmpty()) {
            sendError(ctx, error != null ? HttpResponseStatus.SERVICE_UNAVAILABLE
                : HttpResponseStatus.NOT_FOUND, keepAlive);
          } else {
            send(ctx, entry.get(), range, head, keepAlive);
          }
        });
      }
    }

    private static void send(ChannelHandlerContext ctx, DiskTier.EntryFile entry, String range,
        boolean head, boolean keepAlive) {
      long size = entry.head().bodyLength();
      Optional<ByteRange> asked = ByteRange.parse(range, size);
      if (asked.isPresent() && asked.get() == ByteRange.UNSATISFIABLE) {
        entry.close();
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
            HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE);
        response.headers().set(HttpHeaderNames.CONTENT_RANGE, ByteRange.UNSATISFIABLE
            .contentRange(size));
        finish(ctx, response, keepAlive);
        return;
      }
      ByteRange served = asked.orElse(new ByteRange(0, size - 1));
      HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, asked.isPresent()
          ? HttpResponseStatus.PARTIAL_CONTENT
          : HttpResponseStatus.valueOf(entry.head().status()));
      for (HeaderList.Field field : entry.head().headers().fields()) {
        if (!FRAMING.contains(field.name())) {
          response.headers().add(field.name(), field.value());
        }
      }
      response.headers().set(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES);
      response.headers().set(HttpHeaderNames.CONTENT_LENGTH, served.length());
      if (asked.isPresent()) {
        response.headers().set(HttpHeaderNames.CONTENT_RANGE, served.contentRange(size));
      }
      HttpUtil.setKeepAlive(response, keepAlive);
      ctx.write(response);
      if (head || size == 0) {
        entry.close();
      } else {
        // the region closes the file once sent; Netty writes it as the socket drains
        ctx.write(new DefaultFileRegion(entry.channel(), entry.bodyOffset() + served.first(),
            served.length()));
      }
      ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT)
          .addListener(keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE
              : ChannelFutureListener.CLOSE);
    }

    private static void sendError(ChannelHandlerContext ctx, HttpResponseStatus status,
        boolean keepAlive) {
      finish(ctx, new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status), keepAlive);
    }

    private static void finish(ChannelHandlerContext ctx, FullHttpResponse response,
        boolean keepAlive) {
      HttpUtil.setContentLength(response, 0);
      HttpUtil.setKeepAlive(response, keepAlive);
      ctx.writeAndFlush(response).addListener(keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE
          : ChannelFutureListener.CLOSE);
    }
  }
}
