package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.ExtProcServer;
import io.edgecache.extproc.config.ServerConfigLoader;
import io.edgecache.extproc.http.HttpDates;
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
 * The cache node behind real Envoy, with the very bootstrap of envoy/envoy.yaml (its cluster
 * addresses pointed at this host). Runs where Docker can pull {@code envoyproxy/envoy};
 * JUnit reports it skipped ("Docker is not available") elsewhere, where local-edge stands in.
 */
@org.testcontainers.junit.jupiter.Testcontainers(disabledWithoutDocker = true)
class RealEnvoyTest {

  private static final String IMAGE = "envoyproxy/envoy:v1.32-latest";
  private static final long LARGE_BYTES = 20L << 20;

  @TempDir static Path dir;
  private static TestOrigin origin;
  private static ExtProcServer server;
  private static GenericContainer<?> envoy;

  @BeforeAll
  static void start() throws Exception {
    origin = new TestOrigin();
    origin.reply("/", TestOrigin.Reply.text("through envoy", "cache-control", "max-age=60",
        "date", HttpDates.format(Clock.systemUTC().instant())));
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
    server = ExtProcServer.start(ServerConfigLoader.load(serverConfig), Clock.systemUTC(),
        Telemetry.disabled(), "test");
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
}
