package io.edgecache.edge;

import io.edgecache.edge.config.LocalEdgeConfig;
import io.edgecache.edge.config.XdsSource;
import io.edgecache.edge.extproc.ProcessorChannels;
import io.edgecache.edge.extproc.ProcessorStats;
import io.edgecache.edge.extproc.ProcessorWarmup;
import io.edgecache.edge.http.DownstreamWarmup;
import io.edgecache.edge.http.DownstreamHandler;
import io.edgecache.edge.http.EdgeContext;
import io.edgecache.edge.routing.RouteTable;
import io.edgecache.edge.xds.AdsClient;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.grpc.ManagedChannel;
import io.edgecache.security.PlaintextWarning;
import io.edgecache.security.ReloadingTls;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.logging.Logger;
import java.util.concurrent.TimeoutException;

/**
 * A running local-edge: an HTTP/1.1 listener that runs every request through the configured
 * ext_proc filter and routes it to an origin. Start with {@link #start(LocalEdgeConfig)};
 * {@link #close()} stops accepting, drops in-flight exchanges and releases all threads.
 */
public final class LocalEdge implements AutoCloseable {
  private static final Logger log = Logger.getLogger(LocalEdge.class.getName());
  private static final Duration FIRST_XDS_CONFIG_TIMEOUT = Duration.ofSeconds(15);

  private final EventLoopGroup bossGroup;
  private final EventLoopGroup workerGroup;
  private final ProcessorChannels processorChannels;
  private final EdgeContext edge;
  private final Channel serverChannel;
  private final XdsConnection xds;
  /** Client credentials of the ext_proc and ADS channels; null for plaintext. */
  private final ReloadingTls tls;
  /** The {@code /stats} port; null when the config names none. */
  private final EdgeAdmin admin;

  /** The ADS client and its channel, when routes come from a control plane. */
  private record XdsConnection(ManagedChannel channel, AdsClient client) {
    void close() {
      client.close();
      channel.shutdownNow();
    }
  }

  private LocalEdge(EventLoopGroup bossGroup, EventLoopGroup workerGroup, ProcessorChannels processorChannels,
      EdgeContext edge, Channel serverChannel, XdsConnection xds, ReloadingTls tls, EdgeAdmin admin) {
    this.tls = tls;
    this.admin = admin;
    this.bossGroup = bossGroup;
    this.workerGroup = workerGroup;
    this.processorChannels = processorChannels;
    this.edge = edge;
    this.serverChannel = serverChannel;
    this.xds = xds;
  }

  /** A listener handing every connection {@code admit} accepts to an exchange of {@code edge}. */
  private static ServerBootstrap listener(EventLoopGroup boss, EventLoopGroup workers,
      Class<? extends ServerChannel> serverType, EdgeContext edge, Predicate<SocketAddress> admit) {
    return new ServerBootstrap()
        .group(boss, workers)
        .channel(serverType)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            if (!admit.test(ch.remoteAddress())) {
              ch.close();
              return;
            }
            DownstreamHandler.install(ch.pipeline(), edge);
          }
        });
  }

  /**
   * Binds the listener and returns once it accepts connections.
   *
   * @throws java.net.BindException (or another IOException) if the address cannot be bound
   */
  public static LocalEdge start(LocalEdgeConfig config) throws Exception {
    ReloadingTls tls = config.tls().isEmpty() ? null : ReloadingTls.forClient(config.tls().get());
    boolean epoll = Epoll.isAvailable();
    EventLoopGroup boss = epoll ? new EpollEventLoopGroup(1) : new NioEventLoopGroup(1);
    // Envoy's default --concurrency: one worker per hardware thread.
    int workerCount = Runtime.getRuntime().availableProcessors();
    EventLoopGroup workers = epoll ? new EpollEventLoopGroup(workerCount) : new NioEventLoopGroup(workerCount);
    Class<? extends ServerChannel> serverType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    Class<? extends Channel> clientType = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    // An HTTP/2 channel per worker, as Envoy's per-worker pools; callbacks run on its network
    // thread and hop once to the exchange's loop.
    ProcessorChannels processorChannels = ProcessorChannels.perLoop(workers,
        () -> channel("ext_proc client", config.extProcHost(), config.extProcPort(), tls)
            .directExecutor()
            .maxInboundMessageSize(maxReceiveMessageBytes(config.externalProcessor()))
            .build());
    boolean warmUp = config.warmUpProcessor() && ProcessorWarmup.run(processorChannels.all());
    EdgeContext edge = new EdgeContext(config, processorChannels, clientType);
    XdsConnection xds = null;
    EdgeAdmin admin = null;
    try {
      if (config.admin().isPresent()) {
        admin = new EdgeAdmin(config.admin().get(), edge.processorStats());
      }
      if (config.xds().isPresent()) {
        xds = connect(config, edge, tls);
      }
      if (warmUp) {
        // Through a scratch listener with its own, empty route table and counters: the path
        // warms up, nothing reaches an origin, and the real port accepts only once it is warm.
        EdgeContext scratchEdge = new EdgeContext(config, processorChannels, clientType);
        ExternalProcessor filter = config.externalProcessor(); // null until xDS pushes one
        scratchEdge.replaceRoutes(RouteTable.ofStatic(List.of(),
            filter == null ? null : DownstreamWarmup.filter(filter)));
        DownstreamWarmup warmup = new DownstreamWarmup();
        Channel scratch = listener(boss, workers, serverType, scratchEdge, warmup::admits)
            .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
        try {
          warmup.run((InetSocketAddress) scratch.localAddress());
        } finally {
          scratch.close().sync();
        }
      }
      Channel server = listener(boss, workers, serverType, edge, client -> true)
          .bind(new InetSocketAddress(config.listenHost(), config.listenPort()))
          .sync()
          .channel();
      return new LocalEdge(boss, workers, processorChannels, edge, server, xds, tls, admin);
    } catch (Exception e) {
      if (xds != null) {
        xds.close();
      }
      if (admin != null) {
        admin.close();
      }
      processorChannels.close();
      if (tls != null) {
        tls.close();
      }
      boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw e;
    }
  }

  /**
   * Starts the ADS client. Without static routes, waits for the first complete route table, as
   * Envoy does not open a listener before LDS, RDS and CDS arrived.
   */
  private static XdsConnection connect(LocalEdgeConfig config, EdgeContext edge, ReloadingTls tls)
      throws Exception {
    XdsSource source = config.xds().orElseThrow();
    ManagedChannel channel = channel("ADS client", source.host(), source.port(), tls).build();
    Node node = Node.newBuilder().setId(source.nodeId()).setCluster(source.nodeCluster())
        .setUserAgentName("edgecache-local-edge").build();
    AdsClient client = new AdsClient(channel, node, source.listener(),
        Optional.ofNullable(config.externalProcessor()), edge::replaceRoutes);
    XdsConnection xds = new XdsConnection(channel, client);
    client.start();
    if (config.routes().isEmpty()) {
      try {
        client.firstTable().get(FIRST_XDS_CONFIG_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        xds.close();
        throw new IOException("no complete listener/route/cluster configuration from the control plane at "
            + source.host() + ":" + source.port() + " within " + FIRST_XDS_CONFIG_TIMEOUT.toSeconds() + " s"
            + " (node cluster '" + source.nodeCluster() + "')");
      }
    }
    return xds;
  }

  /**
   * A channel to {@code host:port}: mTLS with {@code tls}, else plaintext (with a warning when
   * the peer is not on loopback).
   */
  private static NettyChannelBuilder channel(String what, String host, int port, ReloadingTls tls) {
    if (tls == null) {
      PlaintextWarning.warnIfNotLoopback(log, what, host, port);
      return NettyChannelBuilder.forAddress(host, port).usePlaintext();
    }
    return NettyChannelBuilder.forAddress(host, port, tls.channelCredentials());
  }

  /** The table requests are routed with now. */
  public RouteTable routes() {
    return edge.routes();
  }

  /**
   * Envoy's limit on one message from the processor: envoy_grpc.max_receive_message_length,
   * where 0 or unset means unlimited (so an immediate_response carrying a stored body of
   * several MiB is received whole, as Envoy does, not refused at grpc-java's 4 MiB default).
   * Unlimited too when the filter will only arrive over xDS.
   */
  static int maxReceiveMessageBytes(ExternalProcessor filter) {
    if (filter == null) {
      return Integer.MAX_VALUE;
    }
    int configured =
        filter.getGrpcService().getEnvoyGrpc().getMaxReceiveMessageLength().getValue();
    return configured == 0 ? Integer.MAX_VALUE : configured;
  }

  /** The ext_proc filter's counters (Envoy's names): fail-opens, message timeouts, streams. */
  public ProcessorStats processorStats() {
    return edge.processorStats();
  }

  /** The {@code /stats} port, or -1 when the config names no admin address. */
  public int adminPort() {
    return admin == null ? -1 : admin.port();
  }

  /** The bound port (the ephemeral one when the config asked for port 0). */
  public int port() {
    return ((InetSocketAddress) serverChannel.localAddress()).getPort();
  }

  @Override
  public void close() {
    serverChannel.close().syncUninterruptibly();
    if (admin != null) {
      admin.close();
    }
    if (xds != null) {
      xds.close();
    }
    edge.closeIdleConnections();
    // Stop gRPC before the loops: its final callbacks still hop to the exchanges' loops.
    processorChannels.close();
    if (tls != null) {
      tls.close();
    }
    // Closing the loops closes every client and origin connection, aborting in-flight exchanges.
    workerGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    bossGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
