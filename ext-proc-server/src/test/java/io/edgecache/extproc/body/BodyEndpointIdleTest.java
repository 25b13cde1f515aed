package io.edgecache.extproc.body;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.edgecache.extproc.cache.L1Store;
import io.edgecache.extproc.config.TiersConfig;
import io.edgecache.extproc.store.TieredStore;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The body endpoint closes connections on which nothing moves, however they stalled. */
class BodyEndpointIdleTest {

  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
  private TieredStore store;
  private BodyEndpoint endpoint;

  @BeforeEach
  void start() throws Exception {
    Clock clock = Clock.systemUTC();
    store = TieredStore.open(TiersConfig.defaults(), new L1Store(1 << 20, Duration.ZERO, clock),
        clock, timers);
    endpoint = BodyEndpoint.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        new StoredBodies(store), BodyTokens.random(), new BodyStats(), clock,
        Duration.ofMillis(500));
  }

  @AfterEach
  void stop() {
    endpoint.close();
    store.close();
    timers.shutdownNow();
  }

  @Test
  void aConnectionThatNeverSendsIsClosed() throws Exception {
    try (Socket socket = connect()) {
      assertEquals(-1, socket.getInputStream().read(), "closed by the endpoint, not answered");
    }
  }

  @Test
  void aRequestThatStopsHalfwayIsClosed() throws Exception {
    try (Socket socket = connect()) {
      socket.getOutputStream().write(
          "GET /large.bin HTTP/1.1\r\nHost: body\r\nx-edgecache-bo".getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      InputStream in = socket.getInputStream();
      assertEquals(-1, in.read(), "closed by the endpoint, not answered");
    }
  }

  /** A socket whose reads give up after 10 s, so an endpoint that keeps it open fails the test. */
  private Socket connect() throws Exception {
    Socket socket = new Socket(InetAddress.getLoopbackAddress(), endpoint.port());
    socket.setSoTimeout(10_000);
    return socket;
  }
}
