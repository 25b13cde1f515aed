package io.edgecache.extproc.body;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.cache.L1Store;
import io.edgecache.extproc.cache.ReuseRules;
import io.edgecache.extproc.config.TiersConfig;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.store.EntryHead;
import io.edgecache.extproc.store.TieredStore;
import io.edgecache.extproc.testing.PatternBytes;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A large hit is rerouted with a token for the version the node found. When a second fetch of
 * the key replaced it before the body endpoint opened it, the newer version is served if the
 * node would serve it to any request for the key unchecked (a fresh 200 without Vary or
 * no-cache); anything else is still a 503 asking to retry.
 */
class BodyEndpointReplacementTest {

  private static final String KEY = "http://example.test/video.bin";
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
  private final Clock clock = Clock.systemUTC();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
  private final BodyTokens tokens = BodyTokens.random();
  @TempDir Path dir;
  private TieredStore store;
  private BodyEndpoint endpoint;

  @BeforeEach
  void start() throws Exception {
    TiersConfig tiers = TiersConfig.defaults()
        .withDisk(new TiersConfig.Disk(true, dir, 1 << 20, Duration.ofSeconds(5)));
    store = TieredStore.open(tiers, new L1Store(1 << 20, Duration.ZERO, clock), clock, timers);
    endpoint = BodyEndpoint.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
        new StoredBodies(store), tokens, new BodyStats(), clock);
  }

  @AfterEach
  void stop() {
    endpoint.close();
    store.close();
    timers.shutdownNow();
  }

  @Test
  void aFreshReplacementIsServedInsteadOfA503() throws Exception {
    String token = tokenFor(put(1000, Duration.ofHours(1), ReuseRules.NONE));
    put(2000, Duration.ofHours(1), ReuseRules.NONE);
    HttpResponse<byte[]> response = get(token);
    assertEquals(200, response.statusCode());
    assertEquals(2000, response.body().length, "the newer version's body");
  }

  @Test
  void aReplacementTheNodeWouldCheckFirstIsStillA503() throws Exception {
    ReuseRules noCache = new ReuseRules(Duration.ZERO, Duration.ZERO, false, true, false);
    String token = tokenFor(put(1000, Duration.ofHours(1), ReuseRules.NONE));
    put(2000, Duration.ofHours(1), noCache);
    assertReplaced(get(token));

    token = tokenFor(put(1000, Duration.ofHours(1), ReuseRules.NONE));
    put(2000, Duration.ZERO, ReuseRules.NONE); // stale at once
    assertReplaced(get(token));

    token = tokenFor(put(1000, Duration.ofHours(1), ReuseRules.NONE));
    put(2000, Duration.ofHours(1), ReuseRules.NONE, "vary", "accept-language");
    assertReplaced(get(token));
  }

  private static void assertReplaced(HttpResponse<byte[]> response) {
    assertEquals(503, response.statusCode());
    assertTrue(new String(response.body()).contains("replaced"), new String(response.body()));
  }

  /** Stores a version of KEY on disk, each a millisecond younger than the last. */
  private EntryHead put(long size, Duration freshness, ReuseRules rules, String... header)
      throws Exception {
    List<HeaderList.Field> fields = new ArrayList<>();
    fields.add(new HeaderList.Field("content-type", "application/octet-stream"));
    for (int i = 0; i < header.length; i += 2) {
      fields.add(new HeaderList.Field(header[i], header[i + 1]));
    }
    EntryHead head = new EntryHead(KEY, 200, HeaderList.of(fields), nextResponseTime(),
        Duration.ZERO, freshness, rules, Map.of(), size);
    store.disk().orElseThrow().putStream(head, new PatternBytes(size)).join();
    return head;
  }

  private Instant last = Instant.now();

  private Instant nextResponseTime() {
    last = last.plusMillis(1);
    return last;
  }

  private String tokenFor(EntryHead head) {
    return tokens.issue(KEY, BodyTokens.version(head.responseTime(), head.bodyLength()),
        "edgecache; hit");
  }

  private HttpResponse<byte[]> get(String token) throws Exception {
    return http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + endpoint.port() + "/video.bin"))
            .header(BodyTokens.HEADER, token).timeout(TIMEOUT).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }
}
