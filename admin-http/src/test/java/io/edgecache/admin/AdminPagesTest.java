package io.edgecache.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** AdminPages over real HTTP on loopback. */
class AdminPagesTest {

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<Socket> stalled = new ArrayList<>();
  private AdminPages pages;

  @BeforeEach
  void start() throws Exception {
    pages = AdminPages.builder()
        .page("/healthz", "text/plain", out -> out.write("ok\n".getBytes(StandardCharsets.UTF_8)))
        .page("/broken", "text/plain", out -> {
          throw new IOException("tier unreachable");
        })
        .start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), "test-admin");
  }

  @AfterEach
  void stop() throws Exception {
    for (Socket socket : stalled) {
      socket.close();
    }
    pages.close();
  }

  @Test
  void servesItsPagesToGetAndSaysWhatElseThereIs() throws Exception {
    HttpResponse<String> health = get("/healthz?verbose=1");
    assertEquals(200, health.statusCode());
    assertEquals("ok\n", health.body());
    assertEquals("text/plain", health.headers().firstValue("content-type").orElseThrow());
    HttpResponse<String> missing = get("/healthz/deep");
    assertEquals(404, missing.statusCode());
    assertEquals("not found: try /broken, /healthz\n", missing.body());
    HttpResponse<String> post = http.send(HttpRequest.newBuilder(uri("/healthz"))
            .timeout(Duration.ofSeconds(5)).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(405, post.statusCode());
    assertEquals("GET", post.headers().firstValue("allow").orElseThrow());
  }

  @Test
  void aProbeAnswers503WithItsReasonUntilItIsAvailable() throws Exception {
    AtomicReference<String> unavailable = new AtomicReference<>("starting: connecting to Redis");
    try (AdminPages probes = AdminPages.builder().probe("/readyz", unavailable::get)
        .start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), "test-probe")) {
      URI readyz = URI.create("http://127.0.0.1:" + probes.port() + "/readyz");
      HttpResponse<String> starting = get(readyz);
      assertEquals(503, starting.statusCode());
      assertEquals("starting: connecting to Redis\n", starting.body());
      unavailable.set(null);
      HttpResponse<String> ready = get(readyz);
      assertEquals(200, ready.statusCode());
      assertEquals("ok\n", ready.body());
      unavailable.set("draining");
      assertEquals(503, get(readyz).statusCode());
    }
  }

  @Test
  void aPageThatFailsIsA500NamingWhy() throws Exception {
    HttpResponse<String> broken = get("/broken");
    assertEquals(500, broken.statusCode());
    assertTrue(broken.body().contains("tier unreachable"), broken.body());
    assertEquals(200, get("/healthz").statusCode());
  }

  @Test
  void clientsThatNeverFinishTheirRequestDoNotHoldOthersUp() throws Exception {
    // More half-sent requests than a JDK HttpServer has threads: each held one until it ended.
    for (int i = 0; i < 8; i++) {
      Socket socket = new Socket(InetAddress.getLoopbackAddress(), pages.port());
      stalled.add(socket);
      OutputStream out = socket.getOutputStream();
      out.write("GET /healthz HTTP/1.1\r\nHost: admin\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
      out.flush();
    }
    assertEquals(200, get("/healthz").statusCode()); // times out (fails) if it waits behind them
  }

  @Test
  void anOversizedRequestHeadIsRefusedNotBuffered() throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), pages.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET /healthz HTTP/1.1\r\nHost: admin\r\nX-Big: " + "a".repeat(16 << 10)
          + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String status = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
      assertTrue(status.startsWith("HTTP/1.1 4"), status);
    }
  }

  @Test
  void aSilentConnectionIsClosedAtTheReadTimeout() throws Exception {
    try (AdminPages bounded = bounded(Duration.ofMillis(300), 256);
        Socket silent = connect(bounded)) {
      silent.getOutputStream()
          .write("GET /healthz HTTP/1.1\r\nHost: a".getBytes(StandardCharsets.US_ASCII));
      assertEquals(-1, silent.getInputStream().read(), "closed at the read timeout, not answered");
    }
  }

  @Test
  void aConnectionPastTheCapIsClosedAtOnce() throws Exception {
    try (AdminPages bounded = bounded(Duration.ofSeconds(30), 2);
        Socket first = connect(bounded);
        Socket second = connect(bounded);
        Socket third = connect(bounded)) {
      assertEquals(-1, third.getInputStream().read(), "closed at once, not after the read timeout");
    }
  }

  private static AdminPages bounded(Duration readTimeout, int maxConnections) throws IOException {
    return AdminPages.builder()
        .page("/healthz", "text/plain", out -> out.write('k'))
        .bounds(readTimeout, maxConnections)
        .start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), "bounded-admin");
  }

  /** A socket to {@code server} whose reads give up after 10 s, so a connection left open fails. */
  private static Socket connect(AdminPages server) throws IOException {
    Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port());
    socket.setSoTimeout(10_000);
    return socket;
  }

  @Test
  void theBuilderRefusesAmbiguousPages() {
    assertThrows(IllegalArgumentException.class, () -> AdminPages.builder()
        .page("/a", "text/plain", out -> {}).page("/a", "text/plain", out -> {}));
    assertThrows(IllegalArgumentException.class,
        () -> AdminPages.builder().page("a", "text/plain", out -> {}));
    assertThrows(IllegalStateException.class, () -> AdminPages.builder()
        .start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), "none"));
  }

  private HttpResponse<String> get(String path) throws Exception {
    return get(uri(path));
  }

  private HttpResponse<String> get(URI uri) throws Exception {
    return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + pages.port() + path);
  }
}
