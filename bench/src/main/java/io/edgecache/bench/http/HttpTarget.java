package io.edgecache.bench.http;

import io.edgecache.bench.load.RequestTarget;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * GETs one URL over a fixed set of HTTP/1.1 keep-alive connections, as wrk does: one request
 * at a time per connection, no pipelining. Requests issued while every connection is busy
 * wait in a queue, so under open loop their queueing time shows up in the latency.
 *
 * <p>All connections share one event loop thread; the queue is touched only on that thread.
 */
public final class HttpTarget implements RequestTarget, AutoCloseable {

  private final EpollEventLoopGroup loop =
      new EpollEventLoopGroup(1, new DefaultThreadFactory("bench-http", true));
  private final FullHttpRequest request;
  private final ArrayDeque<Completion> waiting = new ArrayDeque<>();
  private final ArrayDeque<Connection> idle = new ArrayDeque<>();
  private final List<Channel> channels = new ArrayList<>();

  public HttpTarget(URI url, int connections) throws InterruptedException {
    int port = url.getPort() < 0 ? 80 : url.getPort();
    request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, url.getRawPath());
    request.headers().set(HttpHeaderNames.HOST, url.getHost() + ":" + port);
    Bootstrap bootstrap = new Bootstrap().group(loop).channel(EpollSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true);
    for (int i = 0; i < connections; i++) {
      Connection connection = new Connection();
      Channel channel = bootstrap.handler(new ChannelInitializer<Channel>() {
        @Override
        protected void initChannel(Channel ch) {
          ch.pipeline().addLast(new HttpClientCodec(), connection);
        }
      }).connect(url.getHost(), port).sync().channel();
      connection.channel = channel;
      channels.add(channel);
      loop.execute(() -> idle.add(connection));
    }
  }

  @Override
  public void issue(Completion done) {
    loop.execute(() -> {
      Connection connection = idle.poll();
      if (connection == null) {
        waiting.add(done);
      } else {
        connection.send(done);
      }
    });
  }

  @Override
  public void close() throws InterruptedException {
    for (Channel channel : channels) {
      channel.close().await(1, TimeUnit.SECONDS);
    }
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
  }

  /** One keep-alive connection; reports each response when its last byte has arrived. */
  private final class Connection extends SimpleChannelInboundHandler<HttpObject> {
    private Channel channel;
    private Completion current;
    private boolean ok;

    void send(Completion done) {
      current = done;
      channel.writeAndFlush(request.retainedDuplicate());
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject message) {
      if (message instanceof HttpResponse response) {
        ok = response.status().code() == 200;
      }
      if (message instanceof LastHttpContent) {
        Completion done = current;
        current = null;
        done.complete(ok);
        Completion next = waiting.poll();
        if (next == null) {
          idle.add(this);
        } else {
          send(next);
        }
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (current != null) {
        current.complete(false); // the server closed the connection mid-request
        current = null;
      }
    }
  }
}
