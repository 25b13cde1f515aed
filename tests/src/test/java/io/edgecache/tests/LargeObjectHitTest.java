package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 1 GiB object through the whole request path of a cache node whose JVMs (ext_proc server
 * and local-edge) have heaps capped far below the body: the miss is recorded to the disk tier
 * while it streams to the client, and later hits, whole and ranged, are rerouted by the
 * ext_proc server to its body endpoint and streamed from disk. The origin sees only the miss
 * (one more for each recording a lagging disk made the node shed; see recordMiss).
 */
class LargeObjectHitTest {

  private static final long BODY_BYTES = 1L << 30;
  private static final Pattern DISK_WRITES =
      Pattern.compile("\"name\"\\s*:\\s*\"disk\"[^}]*\"writes\"\\s*:\\s*(\\d+)");
  private static final Pattern DISK_SHED =
      Pattern.compile("\"name\"\\s*:\\s*\"disk\"[^}]*\"shedWrites\"\\s*:\\s*(\\d+)");
  /** Misses tried when the disk falls behind the stream (a loaded machine); see recordMiss. */
  private static final int MISS_ATTEMPTS = 3;

  @TempDir static Path dir;
  private static TestOrigin origin;
  private static CappedNode node;
  private static int adminPort;
  private static final HttpClient client =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void start() throws Exception {
    origin = new TestOrigin();
    origin.generate("/big", BODY_BYTES, false, "cache-control", "public, max-age=600");
    // The server's admin and body ports are written in its configuration, and the body port
    // in the edge's routes too: probed, with a start that lost one to another socket retried.
    node = LoopbackPorts.retryOnClash(() -> {
      int[] ports = LoopbackPorts.probe(2);
      adminPort = ports[0];
      return startNode(ports[0], ports[1]);
    });
  }

  /**
   * The body route first, as in envoy/envoy.yaml: it matches only the header the ext_proc
   * server sets on a large hit. The origin route gets a timeout made for a 1 GiB body: like
   * Envoy's, the default 15 s covers the whole response, which a loaded machine can exceed.
   */
  private static CappedNode startNode(int admin, int bodyPort) throws Exception {
    return CappedNode.start(dir, """
        admin: { listen: 127.0.0.1:%d }
        cache:
          l1MaxBytes: 32MiB
          maxObjectBytes: 2GiB
        tiers:
          largeObjectBytes: 1MiB
          bodyListen: 127.0.0.1:%d
          disk: { enabled: true, path: %s, maxBytes: 4GiB }
        """.formatted(admin, bodyPort, dir.resolve("disk")), """
          - host: "*"
            pathPrefix: /
            headerPresent: x-edgecache-body
            extProcDisabled: true
            timeout: 0s
            origin: http://127.0.0.1:%d
          - host: "*"
            pathPrefix: /
            timeout: 300s
            origin: %s
        """.formatted(bodyPort, origin.url()));
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    origin.close();
  }

  @Test
  void aOneGibObjectIsRecordedToDiskAndItsHitsAreStreamedFromThere() throws Exception {
    int misses = recordMiss();

    long first = BODY_BYTES / 2 + 12345;
    long length = 1 << 20;
    HttpResponse<InputStream> range =
        get("/big", "range", "bytes=" + first + "-" + (first + length - 1));
    assertEquals(206, range.statusCode());
    assertEquals("bytes " + first + "-" + (first + length - 1) + "/" + BODY_BYTES,
        range.headers().firstValue("content-range").orElseThrow());
    assertTrue(range.headers().firstValue("cache-status").orElse("").contains("hit"),
        range.headers().toString());
    assertTrue(range.headers().firstValue("age").isPresent(), range.headers().toString());
    assertEquals(length, verifyPattern(range.body(), first));

    HttpResponse<InputStream> whole = get("/big");
    assertEquals(200, whole.statusCode());
    assertTrue(whole.headers().firstValue("cache-status").orElse("").contains("hit"),
        whole.headers().toString());
    assertEquals(BODY_BYTES, verifyPattern(whole.body(), 0));

    HttpResponse<InputStream> forged = get("/big", "x-edgecache-body", "a.b.c.d.e");
    forged.body().close();
    assertEquals(403, forged.statusCode(), "a client cannot name a stored body itself");

    assertEquals(misses, origin.count("/big"), "only the misses reached the origin");
    assertTrue(node.alive(), "both JVMs survived:\n" + node.output());
  }

  private static HttpResponse<InputStream> get(String path, String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + node.edge.port() + path)).timeout(Duration.ofMinutes(5));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
  }

  /** Reads the body, checking each byte against the origin's pattern; returns its length. */
  private static long verifyPattern(InputStream body, long offset) throws IOException {
    long read = 0;
    try (body) {
      byte[] buffer = new byte[64 * 1024];
      for (int n; (n = body.read(buffer)) > 0; ) {
        for (int i = 0; i < n; i++) {
          if (buffer[i] != TestOrigin.patternByte(offset + read + i)) {
            throw new AssertionError("body differs at byte " + (offset + read + i));
          }
        }
        read += n;
      }
    }
    return read;
  }

  /**
   * Fetches the object as a miss until its recording reaches the disk tier; returns how many
   * misses it took. A recording whose disk spool falls more than the node's bound behind the
   * stream is shed by design (counted as a shed write; the next request is a miss again, not a
   * hit-for-pass): on a loaded machine the disk's thread can lag the loopback stream, so a shed
   * miss is tried again, at most MISS_ATTEMPTS times.
   */
  private static int recordMiss() throws Exception {
    for (int attempt = 1; ; attempt++) {
      HttpResponse<InputStream> miss = get("/big");
      assertEquals(200, miss.statusCode());
      assertEquals(BODY_BYTES, verifyPattern(miss.body(), 0));
      String missStatus = miss.headers().firstValue("cache-status").orElse("");
      assertTrue(missStatus.contains("fwd=uri-miss") && missStatus.contains("stored"), missStatus);
      if (awaitDiskOutcome(attempt - 1)) {
        return attempt;
      }
      assertTrue(attempt < MISS_ATTEMPTS, "the disk fell behind the stream on every miss");
    }
  }

  /**
   * The entry is committed to disk after the client has its last byte: waits for the write, or
   * for the spool to be shed (more shed writes than {@code shedBefore}); true when written.
   */
  private static boolean awaitDiskOutcome(long shedBefore) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (true) {
      String stats = client.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + adminPort + "/stats")).timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      Matcher writes = DISK_WRITES.matcher(stats);
      if (writes.find() && Long.parseLong(writes.group(1)) >= 1) {
        return true;
      }
      Matcher shed = DISK_SHED.matcher(stats);
      if (shed.find() && Long.parseLong(shed.group(1)) > shedBefore) {
        System.out.println("LargeObjectHitTest: the disk fell behind the stream, the recording was"
            + " shed; trying the miss again");
        return false;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the entry never reached the disk tier: " + stats
            + "\n" + node.output());
      }
      Thread.onSpinWait();
    }
  }
}
