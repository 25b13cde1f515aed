package io.edgecache.extproc;

import io.edgecache.extproc.body.BodyEndpoint;
import io.edgecache.extproc.body.StoredBodies;
import io.edgecache.extproc.config.PurgeConfig;
import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.config.TiersConfig;
import io.edgecache.extproc.grpc.ExtProcService;
import io.edgecache.extproc.grpc.Warmup;
import io.edgecache.extproc.policy.remote.RemotePolicyInterceptor;
import io.edgecache.extproc.telemetry.AdminServer;
import io.edgecache.extproc.telemetry.Telemetry;
import io.edgecache.security.LogText;
import io.edgecache.security.PlaintextWarning;
import io.edgecache.security.ReloadingTls;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The cache node's gRPC server: the ext_proc service plus gRPC health checking.
 *
 * <p>Calls run on the transport threads ({@code directExecutor}): the hit path does no
 * blocking work, and a thread hop per message would cost most of the throughput.
 */
public final class ExtProcServer implements AutoCloseable {

  private static final Logger log = Logger.getLogger(ExtProcServer.class.getName());

  /**
   * How long a starting node reports NOT_SERVING while it connects to Redis (the TCP connect
   * plus the Redis handshake, which Lettuce bounds by the configured timeout): Lettuce's own
   * connect timeout. Past it the node serves without the shared tiers rather than not at all.
   */
  static final Duration CONNECTIONS_WAIT = Duration.ofSeconds(10);

  /** Envoy may send a whole BUFFERED body in one message. */
  private static final int MAX_INBOUND_MESSAGE_BYTES = 16 << 20;

  private final Server server;
  private final Readiness readiness;
  private final CacheNode node;
  private final AdminServer admin;
  /** Streams large bodies from disk; null when {@code tiers.bodyListen} is not set. */
  private final BodyEndpoint bodies;
  /** The ext_proc port's reloading mTLS credentials; null when it serves plaintext. */
  private final ReloadingTls tls;

  private ExtProcServer(Server server, Readiness readiness, CacheNode node,
      AdminServer admin, BodyEndpoint bodies, ReloadingTls tls) {
    this.tls = tls;
    this.server = server;
    this.readiness = readiness;
    this.node = node;
    this.admin = admin;
    this.bodies = bodies;
  }

  /** Starts with telemetry configured from the OTEL_* environment. */
  public static ExtProcServer start(ServerConfig config, Clock clock) throws IOException {
    return start(config, clock, Telemetry.fromEnvironment(), "defaults");
  }

  /**
   * Starts serving; throws {@link IOException} when an address cannot be bound.
   *
   * @param configVersion what the stats API reports as the running configuration
   */
  public static ExtProcServer start(ServerConfig config, Clock clock, Telemetry telemetry,
      String configVersion) throws IOException {
    return start(config, clock, telemetry, configVersion, TransportBounds.DEFAULTS,
        CONNECTIONS_WAIT);
  }

  /**
   * @param connectionsWait how long health checks hear NOT_SERVING while the shared tiers'
   *     connections are being made
   */
  static ExtProcServer start(ServerConfig config, Clock clock, Telemetry telemetry,
      String configVersion, TransportBounds bounds, Duration connectionsWait) throws IOException {
    // Memory only, no refreshes, no purge stream: warm-up entries must not reach shared tiers.
    try (CacheNode scratch = new CacheNode(
        config.withRefreshUrl(null).withTiers(TiersConfig.defaults())
            .withPurge(PurgeConfig.defaults()), clock,
        Telemetry.disabled())) {
      Warmup.run(scratch.exchangeServices());
    }
    CacheNode node = new CacheNode(config, clock, telemetry);
    // Listening already, but not ready: see reportServingOnceConnected.
    Readiness readiness = new Readiness();
    AdminServer admin = null;
    if (config.adminListen() != null) {
      try {
        NodeStats stats = new NodeStats(node, configVersion);
        admin = new AdminServer(new InetSocketAddress(config.adminListen().getHostString(),
            config.adminListen().getPort()), telemetry, stats::snapshot,
            readiness::unavailableBecause);
      } catch (IOException e) {
        node.close();
        throw bindFailure(config.adminListen(), e);
      }
    }
    InetSocketAddress listen =
        new InetSocketAddress(config.listen().getHostString(), config.listen().getPort());
    ReloadingTls tls = null;
    NettyServerBuilder builder;
    if (config.tls() == null || !config.tls().extProcMtls()) {
      PlaintextWarning.warnIfNotLoopback(log, "ext_proc server", listen);
      builder = NettyServerBuilder.forAddress(listen);
    } else {
      try {
        tls = ReloadingTls.forServer(config.tls().files(), config.tls().allowedClients(),
            "ext_proc port");
      } catch (IOException e) {
        if (admin != null) {
          admin.close();
        }
        node.close();
        throw e;
      }
      builder = NettyServerBuilder.forAddress(listen, tls.serverCredentials());
    }
    Server server =
        bounds.applyTo(builder)
            .directExecutor()
            .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
            .addService(ServerInterceptors.intercept(
                new ExtProcService(node.exchangeServices()), new RemotePolicyInterceptor()))
            .addService(readiness.healthService())
            .build();
    try {
      server.start();
    } catch (IOException e) {
      if (admin != null) {
        admin.close();
      }
      node.close();
      closeTls(tls);
      throw bindFailure(config.listen(), e);
    }
    BodyEndpoint bodies = null;
    InetSocketAddress bodyListen = config.tiers().bodyListen();
    if (bodyListen != null) {
      try {
        bodies = BodyEndpoint.start(
            new InetSocketAddress(bodyListen.getHostString(), bodyListen.getPort()),
            new StoredBodies(node.tiers()), node.bodyTokens(), node.bodyStats(), clock);
      } catch (IOException e) {
        server.shutdownNow();
        if (admin != null) {
          admin.close();
        }
        node.close();
        closeTls(tls);
        throw bindFailure(bodyListen, e);
      }
    }
    reportServingOnceConnected(node, readiness, connectionsWait);
    return new ExtProcServer(server, readiness, node, admin, bodies, tls);
  }

  /**
   * Turns health checks to SERVING once the shared tiers' connections are made (Kubernetes'
   * readiness probe and Envoy's health checks send no traffic before), or once an attempt
   * failed or {@code wait} passed: a Redis outage costs hits, never the node's availability,
   * and the next call to Redis tries to connect again. Called after the health statuses went to
   * a terminal state (the node closed meanwhile), setting them does nothing.
   */
  private static void reportServingOnceConnected(CacheNode node, Readiness readiness,
      Duration wait) {
    node.connections(wait).thenAccept(notMade -> {
      notMade.ifPresent(why -> log.warning(
          "serving without the shared tiers for now: connections not made: "
              + LogText.quote(why) + "; they are tried again on the next call"));
      readiness.serving();
    });
  }

  private static void closeTls(ReloadingTls tls) {
    if (tls != null) {
      tls.close();
    }
  }

  /** One line saying which address could not be bound and why. */
  private static IOException bindFailure(InetSocketAddress address, IOException e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String reason = root instanceof BindException ? "address already in use" : root.getMessage();
    return new IOException("cannot listen on " + address.getHostString() + ":"
        + address.getPort() + ": " + reason, e);
  }

  /** The admin port, or -1 when there is none. */
  public int adminPort() {
    return admin == null ? -1 : admin.port();
  }

  public int port() {
    return server.getPort();
  }

  /** The large-body endpoint's port, or -1 when it is off. */
  public int bodyPort() {
    return bodies == null ? -1 : bodies.port();
  }

  public CacheNode node() {
    return node;
  }


  /**
   * Drains: reports NOT_SERVING so health-checking clients move away, refuses new streams,
   * lets open ones finish within the drain timeout, then cancels what is left.
   */
  @Override
  public void close() {
    readiness.draining();
    server.shutdown();
    try {
      long drainMillis = node.config().drainTimeout().toMillis();
      if (!server.awaitTermination(drainMillis, TimeUnit.MILLISECONDS)) {
        log.warning("drain timeout passed with streams open; cancelling them");
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    } finally {
      if (admin != null) {
        admin.close();
      }
      if (bodies != null) {
        bodies.close();
      }
      node.close();
      closeTls(tls);
      try {
        node.telemetry().close();
      } catch (Exception e) {
        log.warning("telemetry shutdown failed: " + e);
      }
    }
  }
}
