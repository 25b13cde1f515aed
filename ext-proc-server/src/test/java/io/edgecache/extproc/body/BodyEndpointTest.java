package io.edgecache.extproc.body;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.testing.PatternBytes;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Must-show 4: a 1 GiB entry in the disk tier, served by a child JVM whose heap is capped at
 * 96 MiB, to single-range requests and to one request for the whole body; every byte checked.
 */
class BodyEndpointTest {

  private static final long SIZE = 1L << 30;
  private static final String KEY = "http://example.test/large.bin";
  private static final String HEAP_CAP = "-Xmx96m";

  @TempDir Path dir;
  private Process child;
  private BufferedReader childOut;
  private URI endpoint;
  private PrintStream childIn;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void startChild() throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    child = new ProcessBuilder(java, HEAP_CAP, "-cp", System.getProperty("java.class.path"),
        LargeBodyServerMain.class.getName(), dir.toString(), KEY, String.valueOf(SIZE))
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    childOut = new BufferedReader(
        new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    String line = childOut.readLine(); // blocks until the entry is written and the port bound
    assertTrue(line != null && line.startsWith("port="), "child said: " + line);
    endpoint = URI.create("http://127.0.0.1:" + line.substring(5) + "/large.bin");
    childIn = new PrintStream(child.getOutputStream(), true, StandardCharsets.UTF_8);
  }

  /** A fresh token from the child ({@code "token"} for the stored key, {@code "missing"} for another). */
  private String token(String which) throws IOException {
    childIn.println(which);
    return childOut.readLine();
  }

  @AfterEach
  void stopChild() throws Exception {
    if (child.isAlive()) {
      child.destroyForcibly();
    }
    child.waitFor(10, TimeUnit.SECONDS);
  }

  @Test
  void servesRangesOfAOneGibEntryFromACappedHeap() throws Exception {
    long middle = SIZE / 2 + 12345;
    expectRange("bytes=" + middle + "-" + (middle + (1 << 20) - 1), middle, 1 << 20);
    expectRange("bytes=-1000", SIZE - 1000, 1000);
    expectRange("bytes=0-", 0, SIZE);

    HttpResponse<Void> unsatisfiable = http.send(
        request(token("token")).header("Range", "bytes=" + SIZE + "-").build(),
        HttpResponse.BodyHandlers.discarding());
    assertEquals(416, unsatisfiable.statusCode());
    assertEquals("bytes */" + SIZE,
        unsatisfiable.headers().firstValue("content-range").orElseThrow());

    HttpResponse<Void> whole = http.send(
        request(token("token")).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.discarding());
    assertEquals(200, whole.statusCode());
    assertEquals(String.valueOf(SIZE), whole.headers().firstValue("content-length").orElseThrow());
    assertEquals("application/octet-stream",
        whole.headers().firstValue("content-type").orElseThrow());
    assertEquals("edgecache; hit", whole.headers().firstValue("cache-status").orElseThrow());
    long age = Long.parseLong(whole.headers().firstValue("age").orElseThrow());
    assertTrue(age >= 0 && age < 600, "age since the child stored the entry: " + age);

    HttpResponse<Void> missing = http.send(request(token("missing")).build(),
        HttpResponse.BodyHandlers.discarding());
    assertEquals(404, missing.statusCode());

    String token = token("token");
    String forged = token.substring(0, token.lastIndexOf('.') + 1) + "AAAA";
    for (HttpRequest.Builder refused : List.of(HttpRequest.newBuilder(endpoint),
        request(forged), request(token.replace('.', '!')))) {
      assertEquals(403, http.send(refused.build(), HttpResponse.BodyHandlers.discarding())
          .statusCode(), "a request without a valid token is refused");
    }

    String used = token("token");
    assertEquals(200, http.send(request(used).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode());
    assertEquals(403, http.send(request(used).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode(), "a token replayed");

    childIn.close();
    assertTrue(child.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, child.exitValue());
    String peak = childOut.readLine();
    assertTrue(peak.startsWith("peakHeap="), peak);
    System.out.println("child JVM (" + HEAP_CAP + ") " + peak);
    assertTrue(Long.parseLong(peak.substring(9)) < (256L << 20), peak);
  }

  private void expectRange(String range, long first, long length) throws Exception {
    HttpResponse<InputStream> response = http.send(request(token("token")).header("Range", range).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(206, response.statusCode(), range);
    assertEquals("bytes " + first + "-" + (first + length - 1) + "/" + SIZE,
        response.headers().firstValue("content-range").orElseThrow());
    long position = first;
    byte[] buffer = new byte[1 << 16];
    try (InputStream body = response.body()) {
      for (int n; (n = body.read(buffer)) > 0; ) {
        for (int i = 0; i < n; i++, position++) {
          if (buffer[i] != PatternBytes.at(position)) {
            throw new AssertionError(range + ": wrong byte at " + position);
          }
        }
      }
    }
    assertEquals(first + length, position, range + ": body length");
  }

  private HttpRequest.Builder request(String bodyToken) {
    return HttpRequest.newBuilder(endpoint).header(BodyTokens.HEADER, bodyToken);
  }
}
