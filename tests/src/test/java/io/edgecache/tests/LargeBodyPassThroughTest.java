package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
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

  @TempDir static Path dir;
  private static TestOrigin origin;
  private static CappedNode node;

  @BeforeAll
  static void start() throws Exception {
    origin = new TestOrigin();
    // Cacheable, so the server must decide on size rather than on Cache-Control.
    origin.generate("/large", BODY_BYTES, false, "cache-control", "public, max-age=60");
    origin.generate("/large-chunked", BODY_BYTES, true, "cache-control", "public, max-age=60");
    node = CappedNode.start(dir, """
        admin: { listen: 127.0.0.1:0 }
        cache:
          l1MaxBytes: 32MiB
          maxObjectBytes: 8MiB
        """, """
          - host: "*"
            pathPrefix: /
            timeout: 120s
            origin: %s
        """.formatted(origin.url()));
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    origin.close();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"/large", "/large-chunked"})
  void streamsThroughCappedHeaps(String path) throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpResponse<InputStream> response = client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.edge.port() + path))
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
    assertTrue(node.alive(), "both JVMs survived:\n" + node.output());
  }
}
