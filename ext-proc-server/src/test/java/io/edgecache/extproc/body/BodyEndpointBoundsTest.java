package io.edgecache.extproc.body;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The body endpoint's bounds on connections: it closes those on which nothing moves, however
 * they stalled, and those past its cap as they are accepted.
 */
class BodyEndpointBoundsTest {

  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
  private final Clock clock = Clock.systemUTC();
  private TieredStore store;
  private BodyEndpoint endpoint;

  @BeforeEach
  void openStore() throws Exception {
    store = TieredStore.open(TiersConfig.defaults(), new L1Store(1 << 20, Duration.ZERO, clock),
        clock, timers);
  }

  @AfterEach
  void stop() {
    if (endpoint != null) {
      endpoint.close();
    }
    store.close();
    timers.shutdownNow();
  }

  private void start(Duration idle, int maxConnections) throws Exception {
    endpoint = BodyEndpoint.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        new StoredBodies(store), BodyTokens.random(), new BodyStats(), clock, idle,
        maxConnections);
  }

  @Test
  void aConnectionThatNeverSendsIsClosed() throws Exception {
    start(Duration.ofMillis(500), BodyEndpoint.MAX_CONNECTIONS);
    try (Socket socket = connect()) {
      assertEquals(-1, socket.getInputStream().read(), "closed by the endpoint, not answered");
    }
  }

  @Test
  void aRequestThatStopsHalfwayIsClosed() throws Exception {
    start(Duration.ofMillis(500), BodyEndpoint.MAX_CONNECTIONS);
    try (Socket socket = connect()) {
      socket.getOutputStream().write(
          "GET /large.bin HTTP/1.1\r\nHost: body\r\nx-edgecache-bo".getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      InputStream in = socket.getInputStream();
      assertEquals(-1, in.read(), "closed by the endpoint, not answered");
    }
  }

  @Test
  void connectionsPastTheCapAreClosedAsTheyAreAcceptedAndClosingOneMakesRoom() throws Exception {
    start(BodyEndpoint.IDLE, 2); // the idle bound closes nothing during the test
    try (Socket first = connect(); Socket second = connect()) {
      assertEquals("HTTP/1.1 ", statusLineStart(first), "the first two are served");
      try (Socket third = connect()) {
        assertEquals(-1, third.getInputStream().read(), "closed at once, not held open");
      }
      second.close();
      // The endpoint counts the close when it sees it: a new connection may race it.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (true) {
        try (Socket fourth = connect()) {
          if (!statusLineStart(fourth).isEmpty()) {
            break;
          }
        }
        assertTrue(System.nanoTime() < deadline, "no room made within 10 s of a close");
        Thread.sleep(10);
      }
    }
  }

  /** The first bytes of the answer to a request without a token; empty if closed unanswered. */
  private static String statusLineStart(Socket socket) throws Exception {
    socket.getOutputStream().write(
        "GET /large.bin HTTP/1.1\r\nHost: body\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
    byte[] start = socket.getInputStream().readNBytes(9);
    return new String(start, StandardCharsets.US_ASCII);
  }

  /** A socket whose reads give up after 10 s, so an endpoint that keeps it open fails the test. */
  private Socket connect() throws Exception {
    Socket socket = new Socket(InetAddress.getLoopbackAddress(), endpoint.port());
    socket.setSoTimeout(10_000);
    return socket;
  }
}
