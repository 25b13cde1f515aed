package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A 200 MiB response streams through local-edge and the ext_proc server while both run in
 * JVMs whose heap is capped far below the body size (and whose direct memory is capped too),
 * so neither can hold the body in memory. Checked byte for byte.
 */
class LargeBodyPassThroughTest {

  private static final long BODY_BYTES = 200L << 20;
  /** Well under the 256 MiB bound the issue sets, and smaller than the body itself. */
  private static final List<String> CAPPED_JVM =
      List.of("-Xmx96m", "-XX:MaxDirectMemorySize=64m", "-XX:+UseSerialGC");
  private static final Pattern LISTENING = Pattern.compile("listening on \\S*:(\\d+)");

  @TempDir static Path dir;
  private static TestOrigin origin;
  private static ChildJvm server;
  private static ChildJvm edge;

  @BeforeAll
  static void start() throws Exception {
    origin = new TestOrigin();
    // Cacheable, so the server must decide on size rather than on Cache-Control.
    origin.generate("/large", BODY_BYTES, false, "cache-control", "public, max-age=60");
    origin.generate("/large-chunked", BODY_BYTES, true, "cache-control", "public, max-age=60");

    Path serverConfig = dir.resolve("edgecache.yaml");
    Files.writeString(serverConfig, """
        listen: 127.0.0.1:0
        cache:
          l1MaxBytes: 32MiB
          maxObjectBytes: 8MiB
        """);
    server = ChildJvm.start("io.edgecache.extproc.Main", CAPPED_JVM, LISTENING,
        "--config", serverConfig.toString());

    // The filter of envoy/envoy.yaml with a patient message_timeout: this test bounds memory,
    // and a busy machine must not turn a slow first message into a pass-through.
    String bootstrap = Files.readString(RepoPaths.envoyBootstrap());
    String patient = bootstrap.replace("message_timeout: 0.2s", "message_timeout: 5s");
    assertTrue(!patient.equals(bootstrap), "envoy.yaml no longer sets message_timeout: 0.2s");
    Path patientBootstrap = Files.writeString(dir.resolve("envoy.yaml"), patient);

    Path edgeConfig = dir.resolve("local-edge.yaml");
    Files.writeString(edgeConfig, """
        listen: 127.0.0.1:0
        envoyBootstrap: %s
        extProcTarget: 127.0.0.1:%d
        routes:
          - host: "*"
            pathPrefix: /
            origin: %s
        """.formatted(patientBootstrap, server.port(), origin.url()));
    edge = ChildJvm.start("io.edgecache.edge.LocalEdgeMain", CAPPED_JVM, LISTENING,
        "--config", edgeConfig.toString());
  }

  @AfterAll
  static void stop() throws Exception {
    if (edge != null) {
      edge.close();
    }
    if (server != null) {
      server.close();
    }
    origin.close();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"/large", "/large-chunked"})
  void streamsThroughCappedHeaps(String path) throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpResponse<InputStream> response = client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + path))
            .timeout(Duration.ofMinutes(3)).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, response.statusCode());
    long offset = 0;
    try (InputStream body = response.body()) {
      byte[] buffer = new byte[64 * 1024];
      for (int n; (n = body.read(buffer)) > 0; ) {
        for (int i = 0; i < n; i++) {
          if (buffer[i] != TestOrigin.patternByte(offset + i)) {
            throw new AssertionError("body differs at byte " + (offset + i));
          }
        }
        offset += n;
      }
    }
    assertEquals(BODY_BYTES, offset, "every byte arrived");
    String cacheStatus = response.headers().firstValue("cache-status").orElse("");
    assertTrue(cacheStatus.contains("fwd=uri-miss"), cacheStatus);
    assertTrue(server.isAlive() && edge.isAlive(),
        "both JVMs survived:\n" + server.output() + edge.output());
  }
}
