package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.ExtProcServer;
import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.config.ServerConfigLoader;
import io.edgecache.extproc.telemetry.Telemetry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.Testcontainers;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.MountableFile;

/**
 * The cache node behind real Envoy (1.37, a release Envoy still supports), with the very
 * bootstrap of envoy/envoy.yaml (its cluster addresses pointed at this host) and a control plane
 * for PURGE. It covers what local-edge mirrors from Envoy's source: repeated header lines on
 * hits, Content-Length on a miss, a pass and a HEAD hit, 304 revalidation, stale-if-error,
 * collapsing with the message timer extended, PURGE. Runs where Docker can pull
 * {@code envoyproxy/envoy}; JUnit reports it skipped ("Docker is not available") elsewhere,
 * where local-edge stands in.
 */
@org.testcontainers.junit.jupiter.Testcontainers(disabledWithoutDocker = true)
class RealEnvoyTest {

  private static final String IMAGE = "envoyproxy/envoy:v1.37-latest";
  private static final long LARGE_BYTES = 20L << 20;

  @TempDir static Path dir;
  private static TestOrigin origin;
  private static PurgeCluster controlPlane;
  private static ExtProcServer server;
  private static GenericContainer<?> envoy;

  @BeforeAll
  static void start() throws Exception {
    origin = new TestOrigin();
    origin.reply("/", TestOrigin.Reply.text("through envoy", "cache-control", "max-age=60",
        "date", HttpDate.format(Clock.systemUTC().instant())));
    origin.generate("/large", LARGE_BYTES, false, "cache-control", "public, max-age=600");
    // Large bodies are recorded to disk and their hits streamed by the body endpoint.
    Path serverConfig = Files.writeString(dir.resolve("edgecache.yaml"), """
        listen: 0.0.0.0:0
        admin: { enabled: false }
        cache: { maxObjectBytes: 64MiB }
        tiers:
          largeObjectBytes: 1MiB
          bodyListen: 0.0.0.0:0
          disk: { enabled: true, path: %s, maxBytes: 256MiB }
        """.formatted(dir.resolve("disk")));
    controlPlane = new PurgeCluster(Files.createDirectories(dir.resolve("control-plane")));
    ServerConfig purging = controlPlane.nodeConfig("real-envoy-node");
    server = ExtProcServer.start(ServerConfigLoader.load(serverConfig)
            .withRoutes(purging.routes()).withPurge(purging.purge()),
        Clock.systemUTC(), Telemetry.disabled(), "test");
    PurgeCluster.awaitServingHits(server.node());
    int originPort = URI.create(origin.url()).getPort();
    Testcontainers.exposeHostPorts(originPort, server.port(), server.bodyPort());

    String original = Files.readString(RepoPaths.envoyBootstrap());
    assertTrue(original.contains("address: ext-proc, port_value: 50051")
        && original.contains("address: ext-proc, port_value: 50052")
        && original.contains("address: origin, port_value: 8080"),
        "envoy/envoy.yaml no longer names the clusters this test re-points");
    String bootstrap = original
        .replace("address: ext-proc, port_value: 50051",
            "address: host.testcontainers.internal, port_value: " + server.port())
        .replace("address: ext-proc, port_value: 50052",
            "address: host.testcontainers.internal, port_value: " + server.bodyPort())
        .replace("address: origin, port_value: 8080",
            "address: host.testcontainers.internal, port_value: " + originPort);
    Path config = Files.writeString(dir.resolve("envoy.yaml"), bootstrap);
    envoy = new GenericContainer<>(IMAGE)
        .withCopyFileToContainer(MountableFile.forHostPath(config), "/etc/envoy/envoy.yaml")
        .withExposedPorts(10000)
        .waitingFor(Wait.forListeningPort())
        .withStartupTimeout(Duration.ofMinutes(2));
    envoy.start();
  }

  @AfterAll
  static void stop() {
    if (envoy != null) {
      envoy.stop();
    }
    if (server != null) {
      server.close();
    }
    if (controlPlane != null) {
      controlPlane.close();
    }
    if (origin != null) {
      origin.close();
    }
  }

  @Test
  void missThenHitThroughRealEnvoy() throws Exception {
    HttpClient client = HttpClient.newHttpClient();
    URI edge = URI.create("http://" + envoy.getHost() + ":" + envoy.getMappedPort(10000) + "/");
    HttpResponse<String> miss = client.send(HttpRequest.newBuilder(edge).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals("through envoy", miss.body());
    assertTrue(miss.headers().firstValue("cache-status").orElse("").contains("stored"),
        miss.headers().toString());
    HttpResponse<String> hit = client.send(HttpRequest.newBuilder(edge).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertTrue(hit.headers().firstValue("cache-status").orElse("").contains("hit"),
        hit.headers().toString());
    assertEquals(1, origin.count("/"));
  }

  @Test
  void aLargeHitIsReroutedToTheBodyEndpointByRealEnvoy() throws Exception {
    HttpClient client = HttpClient.newHttpClient();
    URI large = URI.create(
        "http://" + envoy.getHost() + ":" + envoy.getMappedPort(10000) + "/large");
    HttpResponse<byte[]> miss = client.send(HttpRequest.newBuilder(large).timeout(Duration.ofMinutes(2)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(LARGE_BYTES, miss.body().length);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (server.node().tiers().stats("disk").orElseThrow().writes() < 1) {
      assertTrue(System.nanoTime() < deadline, "the large entry never reached the disk tier");
      Thread.onSpinWait();
    }
    HttpResponse<byte[]> range = client.send(HttpRequest.newBuilder(large).timeout(Duration.ofSeconds(30))
        .header("range", "bytes=1000-1999").build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(206, range.statusCode(), range.headers().toString());
    assertTrue(range.headers().firstValue("cache-status").orElse("").contains("hit"),
        range.headers().toString());
    for (int i = 0; i < 1000; i++) {
      assertEquals(TestOrigin.patternByte(1000 + i), range.body()[i], "byte " + (1000 + i));
    }
    assertEquals(1, origin.count("/large"));
  }

  private static URI edge(String path) {
    return URI.create("http://" + envoy.getHost() + ":" + envoy.getMappedPort(10000) + path);
  }

  private static HttpResponse<String> send(String method, String path, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(edge(path)).timeout(Duration.ofSeconds(30))
        .method(method, HttpRequest.BodyPublishers.noBody());
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String cacheStatus(HttpResponse<?> response) {
    return response.headers().firstValue("cache-status").orElse("");
  }

  private static String now() {
    return HttpDate.format(Clock.systemUTC().instant());
  }

  /**
   * Envoy applies hit headers by append (MutationUtils::applyHeaderMutations): both Link lines
   * stay. The two Cache-Control lines were joined by Envoy's header map before the node saw
   * them (an inline header: envoyproxy/envoy issues 9019 and 9318 show the same joining).
   */
  @Test
  void repeatedLinesSurviveOnAHit() throws Exception {
    origin.reply("/links", TestOrigin.Reply.text("links", "date", now(),
        "cache-control", "public", "cache-control", "max-age=60",
        "link", "</a.css>; rel=preload", "link", "</b.js>; rel=preload"));
    send("GET", "/links");
    HttpResponse<String> hit = send("GET", "/links");
    assertTrue(cacheStatus(hit).contains("hit"), hit.headers().toString());
    assertEquals(java.util.List.of("</a.css>; rel=preload", "</b.js>; rel=preload"), hit.headers().allValues("link"));
    assertEquals(java.util.List.of("public,max-age=60"), hit.headers().allValues("cache-control"));
  }

  /**
   * Response body NONE configured, STREAMED switched on per stored response: Envoy keeps
   * Content-Length on a miss and a pass (ProcessorState::shouldRemoveContentLength), and its
   * local reply gives a HEAD hit the stored body's length (Utility::prepareLocalReply).
   */
  @Test
  void contentLengthOnMissPassAndHeadHit() throws Exception {
    origin.reply("/cl-stored", TestOrigin.Reply.text("0123456789", "date", now(), "cache-control", "max-age=60"));
    origin.reply("/cl-passed", TestOrigin.Reply.text("01234567890123456789", "date", now(),
        "cache-control", "private"));
    HttpResponse<String> miss = send("GET", "/cl-stored");
    assertTrue(cacheStatus(miss).contains("stored"), miss.headers().toString());
    assertEquals("10", miss.headers().firstValue("content-length").orElse(null), miss.headers().toString());
    HttpResponse<String> pass = send("GET", "/cl-passed");
    assertEquals("20", pass.headers().firstValue("content-length").orElse(null), pass.headers().toString());
    HttpResponse<String> headPass = send("HEAD", "/cl-passed");
    assertEquals("20", headPass.headers().firstValue("content-length").orElse(null), headPass.headers().toString());
    HttpResponse<String> headHit = send("HEAD", "/cl-stored");
    assertTrue(cacheStatus(headHit).contains("hit"), headHit.headers().toString());
    assertEquals("10", headHit.headers().firstValue("content-length").orElse(null), headHit.headers().toString());
  }

  @Test
  void notModifiedRevalidatesTheStoredResponse() throws Exception {
    origin.reply("/revalidate", TestOrigin.Reply.text("validated", "date", now(),
        "cache-control", "no-cache", "etag", "\"r1\""));
    send("GET", "/revalidate");
    HttpResponse<String> revalidated = send("GET", "/revalidate");
    assertEquals(200, revalidated.statusCode());
    assertEquals("validated", revalidated.body());
    assertEquals("\"r1\"", origin.lastRequestHeader("/revalidate", "if-none-match"));
    assertTrue(cacheStatus(revalidated).contains("fwd-status=304"), revalidated.headers().toString());
  }

  /**
   * The router's own 503 (the origin reset the connection before its response headers) reaches
   * the node with response.code_details other than via_upstream, which envoy.yaml's filter asks
   * for; the node marks it and stores nothing.
   */
  @Test
  void theRoutersOwn503IsMarkedAsEnvoysReplyAndNotStored() throws Exception {
    origin.dropConnection("/reset");
    HttpClient client = HttpClient.newHttpClient();
    URI reset = URI.create("http://" + envoy.getHost() + ":" + envoy.getMappedPort(10000) + "/reset");
    for (int attempt = 1; attempt <= 2; attempt++) {
      HttpResponse<String> response = client.send(HttpRequest.newBuilder(reset).timeout(Duration.ofSeconds(30))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(503, response.statusCode(), response.body());
      assertEquals("edgecache; fwd=uri-miss; fwd-status=503; detail=envoy-reply",
          response.headers().firstValue("cache-status").orElse(""), "attempt " + attempt);
    }
  }

  /** Stored already stale (dated 30 s ago, max-age=10), then the origin fails. */
  @Test
  void staleIfErrorServesTheStoredResponse() throws Exception {
    origin.reply("/sie", TestOrigin.Reply.text("good", "date",
        HttpDate.format(Clock.systemUTC().instant().minusSeconds(30)),
        "cache-control", "max-age=10, stale-if-error=600"));
    send("GET", "/sie");
    origin.reply("/sie", TestOrigin.Reply.status(503, "down", "cache-control", "no-store"));
    HttpResponse<String> response = send("GET", "/sie");
    assertEquals(200, response.statusCode());
    assertEquals("good", response.body());
    assertTrue(cacheStatus(response).contains("stale-if-error"), response.headers().toString());
  }

  /**
   * Followers wait far beyond message_timeout (0.2 s in envoy.yaml) because the node extends
   * Envoy's timer with override_message_timeout (up to max_message_timeout, 5 s).
   */
  @Test
  void collapsedFollowersOutwaitTheMessageTimeout() throws Exception {
    origin.reply("/collapse", TestOrigin.Reply.text("once", "date", now(), "cache-control", "max-age=60"));
    origin.hold("/collapse");
    java.util.List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> responses = new java.util.ArrayList<>();
    HttpClient client = HttpClient.newHttpClient();
    for (int i = 0; i < 4; i++) {
      responses.add(client.sendAsync(HttpRequest.newBuilder(edge("/collapse")).timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofString()));
    }
    // Hold the leader's origin response for a second, five message timeouts.
    java.util.concurrent.CompletableFuture.runAsync(() -> origin.release("/collapse"),
        java.util.concurrent.CompletableFuture.delayedExecutor(1, java.util.concurrent.TimeUnit.SECONDS));
    for (var response : responses) {
      HttpResponse<String> done = response.get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(200, done.statusCode(), done.headers().toString());
      assertEquals("once", done.body());
    }
    assertEquals(1, origin.count("/collapse"));
  }

  @Test
  void purgeAtTheEdgeEmptiesTheCache() throws Exception {
    origin.reply("/purged", TestOrigin.Reply.text("v1", "date", now(), "cache-control", "max-age=600"));
    send("GET", "/purged");
    assertTrue(cacheStatus(send("GET", "/purged")).contains("hit"));
    HttpResponse<String> purge = send("PURGE", "/purged", "authorization", "Bearer " + PurgeCluster.ADMIN);
    assertEquals(200, purge.statusCode(), purge.body());
    String id = new com.fasterxml.jackson.databind.ObjectMapper().readTree(purge.body()).get("purgeId").asText();
    controlPlane.admin().awaitComplete(PurgeCluster.ADMIN, id, Duration.ofSeconds(20));
    HttpResponse<String> after = send("GET", "/purged");
    assertTrue(cacheStatus(after).contains("fwd="), after.headers().toString());
    assertEquals(2, origin.count("/purged"));
  }
}
