package io.edgecache.edge.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Keep-alive connections to origins, one pool per event loop so a connection, the client
 * connection using it and the exchange's state all live on the same thread. Not thread-safe:
 * used only from its event loop.
 */
final class UpstreamPool {
  private final Bootstrap bootstrap;
  private final Map<String, ArrayDeque<Channel>> idle = new HashMap<>();

  /**
   * @param idleTimeout how long a pooled connection may sit unused before it is closed
   *     (Envoy's upstream {@code idle_timeout}, 1 h by default)
   */
  UpstreamPool(EventLoop loop, Class<? extends Channel> channelType, Duration idleTimeout) {
    this.bootstrap = new Bootstrap()
        .group(loop)
        .channel(channelType)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5_000)
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(
                new IdleStateHandler(0, 0, idleTimeout.toNanos(), TimeUnit.NANOSECONDS),
                new EnvoyHttp1ClientCodec(),
                new UpstreamHandler());
          }
        });
  }

  /** The handler of a connection this pool made; only valid while its pipeline is intact (open). */
  static UpstreamHandler handlerOf(Channel channel) {
    return channel.pipeline().get(UpstreamHandler.class);
  }

  /** Starts a request to {@code host:port} on an idle connection or a new one. */
  UpstreamCall acquire(String host, int port, UpstreamListener listener) {
    String key = host + ":" + port;
    ArrayDeque<Channel> channels = idle.get(key);
    while (channels != null && !channels.isEmpty()) {
      Channel channel = channels.pollLast();
      if (channel.isActive()) {
        return UpstreamCall.attached(this, key, channel, listener);
      }
    }
    ChannelFuture connect = bootstrap.connect(host, port);
    // Once per connection: a pooled connection that closes leaves its idle deque.
    Channel channel = connect.channel();
    channel.closeFuture().addListener(f -> {
      ArrayDeque<Channel> pooled = idle.get(key);
      if (pooled != null) {
        pooled.remove(channel);
      }
    });
    return UpstreamCall.connecting(this, key, connect, listener);
  }

  /**
   * Returns a connection whose last response completed and which may be reused. It becomes
   * available on the loop's next turn, after the origin's bytes already read are decoded: a
   * body longer than its Content-Length then closes the connection before anyone reuses it.
   */
  void release(String key, Channel channel) {
    channel.eventLoop().execute(() -> {
      if (channel.isActive()) {
        idle.computeIfAbsent(key, k -> new ArrayDeque<>()).add(channel);
      }
    });
  }

  /** Closes every idle connection. */
  void closeIdle() {
    // Copy first: each close runs the listener that removes the channel from its deque.
    List<Channel> channels = new ArrayList<>();
    idle.values().forEach(channels::addAll);
    idle.clear();
    channels.forEach(Channel::close);
  }
}
