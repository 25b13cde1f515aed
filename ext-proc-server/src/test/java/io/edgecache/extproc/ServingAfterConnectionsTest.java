package io.edgecache.extproc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.config.ServerConfigLoader;
import io.edgecache.extproc.telemetry.Telemetry;
import io.edgecache.extproc.testing.ManualClock;
import io.edgecache.extproc.testing.RedisServer;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A starting node tells health checks NOT_SERVING until its connections to Redis (the tier's
 * and cluster collapsing's) are made, so Kubernetes' readiness probe and Envoy's health checks
 * send it no traffic whose lookups would spend their budget on handshakes; and it serves anyway
 * once its bound passes, so an unanswering Redis never keeps a node out. Redis is reached
 * through a relay that holds every connection (the TCP connect succeeds, the Redis handshake
 * gets no answer) until the test lets it through to a real redis-server.
 */
class ServingAfterConnectionsTest {

  private static final HealthCheckRequest WHOLE_SERVER = HealthCheckRequest.getDefaultInstance();

  @TempDir Path dir;
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  @Test
  void healthChecksHearNotServingUntilEveryRedisConnectionIsMade() throws Exception {
    RedisServer redis = keep(RedisServer.start());
    HeldRelay relay = keep(new HeldRelay());
    ExtProcServer node = keep(start(relay.port(), Duration.ofMinutes(1)));
    ManagedChannel channel = channelTo(node);

    relay.awaitHeld(3); // the tier's reads and writes, the leases' commands or subscription
    assertEquals(ServingStatus.NOT_SERVING, status(channel));
    HttpResponse<String> starting = readyz(node);
    assertEquals(503, starting.statusCode(), "the admin port's probe agrees");
    assertEquals(Readiness.STARTING + "\n", starting.body());

    relay.release(portOf(redis));
    awaitStatus(channel, ServingStatus.SERVING);
    assertEquals(200, readyz(node).statusCode());
  }

  @Test
  void aRedisThatNeverAnswersDelaysServingOnlyForTheBound() throws Exception {
    HeldRelay silent = keep(new HeldRelay()); // never released
    ExtProcServer node = keep(start(silent.port(), Duration.ofMillis(300)));

    awaitStatus(channelTo(node), ServingStatus.SERVING);
    assertTrue(silent.heldCount() > 0, "the node had tried to connect");
  }

  private ExtProcServer start(int redisPort, Duration connectionsWait) throws Exception {
    // A long Redis timeout: Lettuce bounds the handshake by it, and the relay holds that.
    Path yaml = Files.writeString(dir.resolve("node.yaml"), """
        tiers:
          redis: {enabled: true, uri: "redis://127.0.0.1:%d", timeout: 30s}
        collapsing:
          cluster: {enabled: true}
        """.formatted(redisPort));
    ServerConfig config = ServerConfigLoader.load(yaml)
        .withListen(new InetSocketAddress("127.0.0.1", 0))
        .withAdminListen(new InetSocketAddress("127.0.0.1", 0));
    return ExtProcServer.start(config, new ManualClock(Instant.parse("2026-12-03T10:00:00Z")),
        Telemetry.disabled(), "test", TransportBounds.DEFAULTS, connectionsWait);
  }

  /** The admin port's readiness probe, as the kubelet asks it where gRPC needs mTLS. */
  private static HttpResponse<String> readyz(ExtProcServer node) throws Exception {
    return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.adminPort() + "/readyz"))
            .timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private ManagedChannel channelTo(ExtProcServer node) {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", node.port()).usePlaintext().build();
    open.add(channel::shutdownNow);
    return channel;
  }

  private static ServingStatus status(ManagedChannel channel) {
    return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(WHOLE_SERVER).getStatus();
  }

  /** Polls the health service, as a readiness probe does, within a bound. */
  private static void awaitStatus(ManagedChannel channel, ServingStatus wanted)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    ServingStatus seen = status(channel);
    while (seen != wanted) {
      assertTrue(System.nanoTime() < deadline, "still " + seen + " after 20 s");
      Thread.sleep(20);
      seen = status(channel);
    }
  }

  private <T extends AutoCloseable> T keep(T closeable) {
    open.add(closeable);
    return closeable;
  }

  private static int portOf(RedisServer redis) {
    return URI.create(redis.uri()).getPort();
  }

  /**
   * Accepts connections and holds them, reading nothing, until {@link #release} pipes each,
   * then and from then on, to a real server.
   */
  private static final class HeldRelay implements AutoCloseable {
    private final ServerSocket listener =
        new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    private final List<Socket> held = new ArrayList<>();
    private final List<Socket> piped = new ArrayList<>();
    private int target = -1;
    private final Thread acceptor = new Thread(this::acceptAll, "held-relay-accept");

    HeldRelay() throws IOException {
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return listener.getLocalPort();
    }

    private void acceptAll() {
      try {
        while (true) {
          Socket accepted = listener.accept();
          synchronized (this) {
            if (target < 0) {
              held.add(accepted);
              notifyAll();
            } else {
              pipe(accepted);
            }
          }
        }
      } catch (IOException closed) {
        // the relay was closed
      }
    }

    synchronized int heldCount() {
      return held.size();
    }

    synchronized void awaitHeld(int count) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (held.size() < count) {
        long left = deadline - System.nanoTime();
        assertTrue(left > 0, "connections held: " + held.size() + " of " + count);
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    }

    synchronized void release(int port) {
      target = port;
      held.forEach(this::pipe);
      held.clear();
    }

    private void pipe(Socket client) {
      try {
        Socket server = new Socket(InetAddress.getLoopbackAddress(), target);
        piped.add(client);
        piped.add(server);
        copy(client.getInputStream(), server.getOutputStream());
        copy(server.getInputStream(), client.getOutputStream());
      } catch (IOException e) {
        throw new AssertionError("relay to port " + target + " failed", e);
      }
    }

    /** Ends when either side closes: {@link #close} closes both. */
    private static void copy(InputStream from, OutputStream to) {
      Thread copier = new Thread(() -> {
        try {
          from.transferTo(to);
        } catch (IOException closed) {
          // a side closed
        }
      }, "held-relay-copy");
      copier.setDaemon(true);
      copier.start();
    }

    @Override
    public synchronized void close() throws IOException {
      listener.close();
      for (Socket socket : held) {
        socket.close();
      }
      for (Socket socket : piped) {
        socket.close();
      }
    }
  }
}
