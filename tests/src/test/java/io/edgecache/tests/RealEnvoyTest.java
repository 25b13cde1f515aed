package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.ExtProcServer;
import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.http.HttpDates;
import io.edgecache.extproc.telemetry.Telemetry;
import java.net.InetSocketAddress;
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

  @TempDir static Path dir;
  private static TestOrigin origin;
  private static ExtProcServer server;
  private static GenericContainer<?> envoy;

  @BeforeAll
  static void start() throws Exception {
    origin = new TestOrigin();
    origin.reply("/", TestOrigin.Reply.text("through envoy", "cache-control", "max-age=60",
        "date", HttpDates.format(Clock.systemUTC().instant())));
    server = ExtProcServer.start(ServerConfig.defaults()
        .withListen(new InetSocketAddress("0.0.0.0", 0))
        .withAdminListen(null), Clock.systemUTC(), Telemetry.disabled(), "test");
    int originPort = URI.create(origin.url()).getPort();
    Testcontainers.exposeHostPorts(originPort, server.port());

    String original = Files.readString(RepoPaths.envoyBootstrap());
    assertTrue(original.contains("address: ext-proc, port_value: 50051")
        && original.contains("address: origin, port_value: 8080"),
        "envoy/envoy.yaml no longer names the clusters this test re-points");
    String bootstrap = original
        .replace("address: ext-proc, port_value: 50051",
            "address: host.testcontainers.internal, port_value: " + server.port())
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
    HttpResponse<String> miss = client.send(HttpRequest.newBuilder(edge).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals("through envoy", miss.body());
    assertTrue(miss.headers().firstValue("cache-status").orElse("").contains("stored"),
        miss.headers().toString());
    HttpResponse<String> hit = client.send(HttpRequest.newBuilder(edge).build(),
        HttpResponse.BodyHandlers.ofString());
    assertTrue(hit.headers().firstValue("cache-status").orElse("").contains("hit"),
        hit.headers().toString());
    assertEquals(1, origin.count("/"));
  }
}
