package io.edgecache.bench.extproc;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * The proxy's body route, as Envoy's router takes it after a reroute: HTTP/1.1 GETs to the
 * cache node's body endpoint over a pool of keep-alive connections, one request per connection
 * at a time. Its event loop is a driver thread ({@link ServerCpu#DRIVER_PREFIX}), so its CPU
 * is not charged to the server.
 */
final class BodyClient implements AutoCloseable {

  private static final AttributeKey<LongConsumer> AWAITING = AttributeKey.valueOf("awaiting");

  private final EventLoopGroup loop =
      new NioEventLoopGroup(1, new DefaultThreadFactory(ServerCpu.DRIVER_PREFIX + "-http", true));
  private final ConcurrentLinkedQueue<Channel> idle = new ConcurrentLinkedQueue<>();
  private final Bootstrap bootstrap;

  BodyClient(String host, int port) {
    bootstrap = new Bootstrap()
        .group(loop)
        .channel(NioSocketChannel.class)
        .remoteAddress(host, port)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel channel) {
            channel.pipeline()
                .addLast(new HttpClientCodec())
                .addLast(new HttpObjectAggregator(64 << 20))
                .addLast(new Responses());
          }
        });
  }

  /**
   * GETs {@code path} carrying {@code header: value}; {@code done} gets the body's length for
   * a 200, -1 for anything else or a broken connection.
   */
  void get(String path, String header, String value, LongConsumer done) {
    Channel channel = idle.poll();
    if (channel != null && channel.isActive()) {
      send(channel, path, header, value, done);
      return;
    }
    bootstrap.connect().addListener((ChannelFuture connected) -> {
      if (connected.isSuccess()) {
        send(connected.channel(), path, header, value, done);
      } else {
        done.accept(-1);
      }
    });
  }

  private static void send(Channel channel, String path, String header, String value,
      LongConsumer done) {
    DefaultFullHttpRequest request =
        new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
    request.headers().set(HttpHeaderNames.HOST, "bench.edgecache.test").set(header, value);
    channel.attr(AWAITING).set(done);
    channel.writeAndFlush(request);
  }

  @Override
  public void close() throws InterruptedException {
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
  }

  /** Hands each response to its request's callback and the connection back to the pool. */
  private final class Responses extends SimpleChannelInboundHandler<FullHttpResponse> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
      LongConsumer done = ctx.channel().attr(AWAITING).getAndSet(null);
      idle.add(ctx.channel());
      if (done != null) {
        done.accept(response.status().code() == 200 ? response.content().readableBytes() : -1);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      LongConsumer done = ctx.channel().attr(AWAITING).getAndSet(null);
      if (done != null) {
        done.accept(-1);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
