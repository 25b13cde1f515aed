package io.edgecache.edge.http;

import io.edgecache.edge.config.LocalEdgeConfig;
import io.edgecache.edge.extproc.ProcessorChannels;
import io.edgecache.edge.extproc.ProcessorStats;
import io.edgecache.edge.routing.RouteTable;
import io.grpc.ManagedChannel;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What every exchange of one local-edge instance shares: config, the current route table, the
 * workers' ext_proc channels and origin pools.
 */
public final class EdgeContext {
  private final LocalEdgeConfig config;
  private final ProcessorChannels processorChannels;
  private final Class<? extends Channel> clientChannelType;
  private final Map<EventLoop, UpstreamPool> pools = new ConcurrentHashMap<>();
  private final ProcessorStats processorStats = new ProcessorStats();
  private volatile RouteTable routes;

  public EdgeContext(LocalEdgeConfig config, ProcessorChannels processorChannels,
      Class<? extends Channel> clientChannelType) {
    this.config = config;
    this.processorChannels = processorChannels;
    this.clientChannelType = clientChannelType;
    this.routes = RouteTable.ofStatic(config.routes(), config.externalProcessor());
  }

  /** The table new exchanges route with; each exchange keeps the one it started with. */
  public RouteTable routes() {
    return routes;
  }

  /** Installs a new table atomically; exchanges in flight finish on the old one. */
  public void replaceRoutes(RouteTable table) {
    routes = table;
  }

  LocalEdgeConfig config() {
    return config;
  }

  /** The ext_proc channel of {@code loop}, the worker an exchange runs on. */
  ManagedChannel processorChannel(EventLoop loop) {
    return processorChannels.of(loop);
  }

  /** The ext_proc filter's counters, shared by every exchange of this edge. */
  public ProcessorStats processorStats() {
    return processorStats;
  }

  /** The origin pool of {@code loop}; only to be used from that loop. */
  UpstreamPool pool(EventLoop loop) {
    return pools.computeIfAbsent(loop, l -> new UpstreamPool(l, clientChannelType, config.timeouts().originIdle()));
  }

  /** Closes idle origin connections; each on its own loop. */
  public void closeIdleConnections() {
    pools.forEach((loop, pool) -> loop.execute(pool::closeIdle));
  }
}
