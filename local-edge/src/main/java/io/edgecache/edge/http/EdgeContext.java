package io.edgecache.edge.http;

import io.edgecache.edge.config.LocalEdgeConfig;
import io.grpc.ManagedChannel;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** What every exchange of one local-edge instance shares: config, the ext_proc channel, origin pools. */
public final class EdgeContext {
  private final LocalEdgeConfig config;
  private final ManagedChannel processorChannel;
  private final Class<? extends Channel> clientChannelType;
  private final Map<EventLoop, UpstreamPool> pools = new ConcurrentHashMap<>();

  public EdgeContext(LocalEdgeConfig config, ManagedChannel processorChannel,
      Class<? extends Channel> clientChannelType) {
    this.config = config;
    this.processorChannel = processorChannel;
    this.clientChannelType = clientChannelType;
  }

  LocalEdgeConfig config() {
    return config;
  }

  ManagedChannel processorChannel() {
    return processorChannel;
  }

  /** The origin pool of {@code loop}; only to be used from that loop. */
  UpstreamPool pool(EventLoop loop) {
    return pools.computeIfAbsent(loop, l -> new UpstreamPool(l, clientChannelType));
  }

  /** Closes idle origin connections; each on its own loop. */
  public void closeIdleConnections() {
    pools.forEach((loop, pool) -> loop.execute(pool::closeIdle));
  }
}
