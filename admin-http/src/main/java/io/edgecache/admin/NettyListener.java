package io.edgecache.admin;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * One listening socket of a small Netty server: a network thread that only reads and writes,
 * and {@code workers} threads (none if 0) for what building an answer may block on (collecting
 * metrics, writing a purge log). {@link AdminPages}, {@link AdminApi} and the cache node's body
 * endpoint each start one; a bind failure is one {@link IOException} naming the address.
 */
public final class NettyListener implements AutoCloseable {

  private final EventLoopGroup network;
  private final EventExecutorGroup workers;
  private final Channel server;

  private NettyListener(EventLoopGroup network, EventExecutorGroup workers, Channel server) {
    this.network = network;
    this.workers = workers;
    this.server = server;
  }

  /**
   * Listens on {@code listen}; {@code pipeline} sets up each accepted connection, given the
   * worker threads (null when {@code workerThreads} is 0). Throws {@link IOException} when the
   * address cannot be bound.
   */
  public static NettyListener start(InetSocketAddress listen, String threadName, int workerThreads,
      BiConsumer<SocketChannel, EventExecutorGroup> pipeline) throws IOException {
    EventLoopGroup network = new NioEventLoopGroup(1,
        new ThreadFactoryBuilder().setNameFormat(threadName + "-io").setDaemon(true).build());
    EventExecutorGroup workers = workerThreads == 0 ? null : new DefaultEventExecutorGroup(
        workerThreads,
        new ThreadFactoryBuilder().setNameFormat(threadName + "-%d").setDaemon(true).build());
    try {
      Channel server = new ServerBootstrap()
          .group(network)
          .channel(NioServerSocketChannel.class)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel channel) {
              pipeline.accept(channel, workers);
            }
          })
          .bind(listen)
          .sync()
          .channel();
      return new NettyListener(network, workers, server);
    } catch (Exception e) { // Netty rethrows the bind failure undeclared
      shutDown(network, workers);
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw e instanceof IOException io ? io
          : new IOException("cannot listen on " + listen + ": " + e.getMessage(), e);
    }
  }

  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  /** Stops listening, closes every connection and waits (at most 5 s) for the threads to end. */
  @Override
  public void close() {
    server.close().syncUninterruptibly();
    shutDown(network, workers).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }

  private static Future<?> shutDown(EventLoopGroup network,
      EventExecutorGroup workers) {
    if (workers != null) {
      workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
    return network.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
