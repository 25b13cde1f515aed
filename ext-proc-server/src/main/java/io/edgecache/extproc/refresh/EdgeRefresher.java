package io.edgecache.extproc.refresh;

import io.edgecache.extproc.fields.HeaderList;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Refreshes by sending the request again through the edge listener (Envoy or local-edge), so
 * routing, TLS and pooling stay in the proxy. The request carries {@link #MARKER} with a secret
 * token so the ext_proc server records it instead of answering it from cache; at most one
 * refresh per key runs at a time.
 */
final class EdgeRefresher implements BackgroundRefresher {

  private static final Logger log = Logger.getLogger(EdgeRefresher.class.getName());

  private final URI edge;
  private final String token;
  private final EventLoopGroup loop = new NioEventLoopGroup(1);
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
  private final AtomicLong started = new AtomicLong();

  EdgeRefresher(URI edge) {
    this.edge = edge;
    byte[] secret = new byte[16];
    new SecureRandom().nextBytes(secret);
    this.token = HexFormat.of().formatHex(secret);
  }

  @Override
  public boolean enabled() {
    return true;
  }

  /** Constant time: the token is a secret. */
  @Override
  public boolean isOurs(String markerValue) {
    return markerValue != null && MessageDigest.isEqual(
        markerValue.getBytes(StandardCharsets.ISO_8859_1),
        token.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** Sends of the request only what {@link RefreshHeaders} lets through. */
  @Override
  public boolean refresh(String key, HeaderList requestHeaders,
      Collection<String> selectingFields, Map<String, String> extraHeaders, Runnable onDone) {
    if (!inFlight.add(key)) {
      return false;
    }
    started.incrementAndGet();
    FullHttpRequest request = new DefaultFullHttpRequest(
        HttpVersion.HTTP_1_1, HttpMethod.GET, requestHeaders.first(":path"));
    for (HeaderList.Field field : RefreshHeaders.select(requestHeaders, selectingFields)) {
      request.headers().add(field.name(), field.value());
    }
    request.headers().set(HttpHeaderNames.HOST, requestHeaders.first(":authority"));
    extraHeaders.forEach(request.headers()::set);
    request.headers().set(MARKER, token);
    request.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    int port = edge.getPort() > 0 ? edge.getPort() : 80;
    ChannelFuture connect = new Bootstrap()
        .group(loop)
        .channel(NioSocketChannel.class)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel channel) {
            channel.pipeline().addLast(
                new ReadTimeoutHandler(60, TimeUnit.SECONDS),
                new HttpClientCodec(),
                new DiscardResponse());
          }
        })
        .connect(edge.getHost(), port);
    connect.addListener((ChannelFuture done) -> {
      if (!done.isSuccess()) {
        inFlight.remove(key);
        onDone.run();
        request.release();
        log.log(Level.WARNING, "background refresh of {0} failed: cannot reach {1}: {2}",
            new Object[] {key, edge, done.cause().toString()});
        return;
      }
      done.channel().closeFuture().addListener(closed -> {
        inFlight.remove(key);
        onDone.run();
      });
      done.channel().writeAndFlush(request);
    });
    return true;
  }

  @Override
  public long startedTotal() {
    return started.get();
  }

  @Override
  public boolean busy() {
    return !inFlight.isEmpty();
  }

  @Override
  public void close() {
    loop.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** The response matters only to the ext_proc server that records it: drop it, then close. */
  private static final class DiscardResponse extends SimpleChannelInboundHandler<HttpObject> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject message) {
      if (message instanceof LastHttpContent) {
        ctx.close();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
