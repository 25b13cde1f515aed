package io.edgecache.controlplane.purge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.controlplane.config.PurgeSettings;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The REST admin API under abuse: unauthenticated slow bodies, token guessing, and a warm
 * queue flooded with URLs. The real server on loopback, raw sockets as the attacker.
 */
class AdminHttpHardeningTest {

  private static final String OPS = "ops-secret-0123456789";

  @TempDir Path dir;

  private PurgeCoordinator coordinator;
  private AdminHttpServer server;
  private final HttpClient client = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void start() throws Exception {
    coordinator = PurgeCoordinator.open(dir.resolve("purge.log"), Duration.ofHours(1),
        Clock.systemUTC());
    PurgeAdmin admin = new PurgeAdmin(coordinator, null,
        new Authenticator(List.of(new PurgeSettings.Token("ops", OPS, Set.of()))),
        new RateLimiter(new PurgeSettings.RateLimit(10, 20), System::nanoTime));
    server = new AdminHttpServer(new InetSocketAddress("127.0.0.1", 0), admin);
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
    coordinator.close();
  }

  /** Sends a request head promising a body it never sends; the status line that comes back. */
  private Socket slowBody(String authorization) throws IOException {
    Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port());
    socket.setSoTimeout(5_000);
    socket.getOutputStream().write(("POST /purges HTTP/1.1\r\nHost: admin\r\n" + authorization
        + "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
        .getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
    return socket;
  }

  private static String statusLine(Socket socket) throws IOException {
    InputStream in = socket.getInputStream();
    StringBuilder line = new StringBuilder();
    int c;
    while ((c = in.read()) != -1 && c != '\n') {
      line.append((char) c);
    }
    return line.toString().trim();
  }

  private HttpResponse<String> listPurges(String token) throws Exception {
    return client.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + server.port() + "/purges"))
        .timeout(Duration.ofSeconds(5)).header("Authorization", "Bearer " + token).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void slowBodiesWithoutCredentialsAreRefusedBeforeTheBodyAndBlockNothing() throws Exception {
    List<Socket> attackers = new ArrayList<>();
    try {
      for (int i = 0; i < 8; i++) { // twice the handler threads
        Socket socket = slowBody("");
        attackers.add(socket);
        assertEquals("HTTP/1.1 401 Unauthorized", statusLine(socket));
      }
      assertEquals(200, listPurges(OPS).statusCode(), "an authenticated call still goes through");
    } finally {
      for (Socket socket : attackers) {
        socket.close();
      }
    }
  }

  @Test
  void failedAuthenticationIsRateLimitedPerSource() throws Exception {
    for (int i = 0; i < AuthFailureLimiter.BURST; i++) {
      assertEquals(401, listPurges("guess-" + i).statusCode());
    }
    HttpResponse<String> limited = listPurges("guess-again");
    assertEquals(429, limited.statusCode(), limited.body());
    assertEquals(String.valueOf(AuthFailureLimiter.REFILL_SECONDS),
        limited.headers().firstValue("retry-after").orElse(""));
    assertEquals(429, listPurges("guess-once-more").statusCode(),
        "the source's guesses are refused until it refills");
    assertEquals(200, listPurges(OPS).statusCode(),
        "a valid token from the same address is never locked out by others' failures");
  }

  /** A purge is kept, logged, sent to every node and screened against: its size is bounded. */
  @Test
  void oversizedOrInvisiblePurgeValuesAreRefusedNamingTheField() throws Exception {
    HttpResponse<String> longUrl = submit("{\"kind\":\"URL\",\"value\":\"http://a.example/"
        + "x".repeat(PurgeAdmin.MAX_URL_CHARS) + "\"}");
    assertEquals(400, longUrl.statusCode());
    assertTrue(longUrl.body().contains("value: at most " + PurgeAdmin.MAX_URL_CHARS), longUrl.body());
    HttpResponse<String> longTag = submit("{\"kind\":\"TAG\",\"value\":\""
        + "t".repeat(PurgeAdmin.MAX_TAG_CHARS + 1) + "\"}");
    assertEquals(400, longTag.statusCode(), longTag.body());
    HttpResponse<String> escapeInTag = submit("{\"kind\":\"TAG\",\"value\":\"a\\u001b[31mred\"}");
    assertEquals(400, escapeInTag.statusCode(), escapeInTag.body());
    HttpResponse<String> bidiInTag = submit("{\"kind\":\"TAG\",\"value\":\"a\\u202ex\"}");
    assertEquals(400, bidiInTag.statusCode(), bidiInTag.body());
    HttpResponse<String> userInfo = submit(
        "{\"kind\":\"URL\",\"value\":\"http://shop.example:@other.example/x\"}");
    assertEquals(400, userInfo.statusCode(), userInfo.body());
    assertTrue(coordinator.recent(10).isEmpty(), "nothing purged");
    assertEquals(202, submit("{\"kind\":\"TAG\",\"value\":\"product-42\"}").statusCode());
  }

  private HttpResponse<String> submit(String json) throws Exception {
    return client.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + server.port() + "/purges"))
        .timeout(Duration.ofSeconds(5)).header("Authorization", "Bearer " + OPS)
        .POST(HttpRequest.BodyPublishers.ofString(json)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /**
   * HEAD is answered without a body and logs nothing (the JDK server this API ran on before
   * logged a warning for every HEAD, with or without a token).
   */
  @Test
  void headRequestsAreAnsweredWithoutABodyOrAWarning() throws Exception {
    List<LogRecord> warnings = new ArrayList<>();
    Handler recorder = new Handler() {
      @Override
      public void publish(LogRecord entry) {
        if (entry.getLevel().intValue() >= Level.WARNING.intValue()) {
          warnings.add(entry);
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    Logger everything = Logger.getLogger("");
    everything.addHandler(recorder);
    try {
      for (String token : new String[] {"guess", OPS}) {
        HttpResponse<String> head = client.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.port() + "/purges"))
            .timeout(Duration.ofSeconds(5)).header("Authorization", "Bearer " + token)
            .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
            HttpResponse.BodyHandlers.ofString());
        assertTrue(head.statusCode() == 401 || head.statusCode() == 405, head.toString());
        assertEquals("", head.body());
      }
    } finally {
      everything.removeHandler(recorder);
    }
    assertEquals(List.of(), warnings.stream().map(LogRecord::getMessage).toList());
  }

  @Test
  void theWarmQueueIsBounded() throws Exception {
    // An edge that accepts connections and never answers: every fetch stays in flight.
    try (ServerSocket silentEdge = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Warmer warmer = new Warmer(URI.create("http://127.0.0.1:" + silentEdge.getLocalPort()))) {
      List<URI> full = Collections.nCopies(Warmer.MAX_QUEUED_URLS, URI.create("http://a.example/x"));
      assertEquals(Warmer.MAX_QUEUED_URLS, warmer.start(full).getTotal());
      AdminError refused = assertThrows(AdminError.class,
          () -> warmer.start(List.of(URI.create("http://a.example/y"))));
      assertEquals(429, refused.httpStatus());
      assertTrue(refused.getMessage().contains("warm queue full"), refused.getMessage());
    }
  }
}
