package io.edgecache.extproc.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.body.BodyEndpoint;
import io.edgecache.extproc.body.BodyStats;
import io.edgecache.extproc.body.BodyTokens;
import io.edgecache.extproc.body.StoredBodies;
import io.edgecache.extproc.cache.L1Store;
import io.edgecache.extproc.cache.ReuseRules;
import io.edgecache.extproc.config.TiersConfig;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.store.tier.S3Tier;
import io.edgecache.extproc.testing.ManualClock;
import io.edgecache.extproc.testing.PatternBytes;
import io.edgecache.extproc.testing.S3Server;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose disk does not hold a large entry that S3 does (another node stored it): the
 * body endpoint streams the body, whole or a range, straight from S3.
 */
class BodyFromS3Test {

  private static final String BUCKET = "edgecache-test"; // the bucket StoreFixtures.tiers names
  private static final String KEY = "http://example.test/video.bin";
  private static final long SIZE = 12L << 20; // two multipart parts of the upload

  private static S3Server s3;

  @TempDir Path dir;
  /** The node's scheduler: times the tier calls. */
  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stopTimers() {
    timers.shutdownNow();
  }

  @BeforeAll
  static void startS3() throws Exception {
    s3 = S3Server.start(BUCKET);
  }

  @AfterAll
  static void stopS3() {
    s3.close();
  }

  @Test
  void aBodyOnlyS3HoldsIsStreamedFromS3WholeAndInRanges() throws Exception {
    ManualClock clock = new ManualClock(Instant.parse("2026-11-22T00:00:00Z"));
    TiersConfig tiers = StoreFixtures.tiers(dir.resolve("disk"), null, s3.endpoint(), dir);
    EntryHead head = new EntryHead(KEY, 200,
        HeaderList.of(List.of(new HeaderList.Field("content-type", "video/mp4"))),
        clock.instant(), Duration.ZERO, Duration.ofHours(1), ReuseRules.NONE, Map.of(), SIZE);
    Path file = dir.resolve("entry");
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file))) {
      EntryCodec.write(out, head, new PatternBytes(SIZE));
    }
    try (S3Tier upload = S3Tier.create(tiers.s3())) {
      upload.putFile(KEY, file, Files.size(file), Duration.ofHours(1)).join();
    }

    BodyTokens tokens = BodyTokens.random();
    BodyStats stats = new BodyStats();
    try (TieredStore store = TieredStore.open(tiers,
            new L1Store(1 << 20, Duration.ZERO, clock), clock, timers);
        BodyEndpoint endpoint = BodyEndpoint.start(new InetSocketAddress("127.0.0.1", 0),
            new StoredBodies(store), tokens, stats, clock)) {
      String token = tokens.issue(KEY, BodyTokens.version(head.responseTime(), SIZE),
          "edgecache; hit");
      HttpClient http = HttpClient.newHttpClient();
      URI uri = URI.create("http://127.0.0.1:" + endpoint.port() + "/video.bin");

      long first = (5L << 20) + 77; // across the part boundary of the upload
      HttpResponse<byte[]> range = http.send(HttpRequest.newBuilder(uri)
              .header(BodyTokens.HEADER, token)
              .header("range", "bytes=" + first + "-" + (first + 99_999)).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(206, range.statusCode());
      assertArrayEquals(expected(first, 100_000), range.body());
      assertEquals("video/mp4", range.headers().firstValue("content-type").orElseThrow());

      HttpResponse<byte[]> replayed = http.send(HttpRequest.newBuilder(uri)
              .header(BodyTokens.HEADER, token).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(403, replayed.statusCode(), "a token serves one request");

      HttpResponse<byte[]> whole = http.send(HttpRequest.newBuilder(uri)
              .header(BodyTokens.HEADER, tokens.issue(KEY, BodyTokens.version(head.responseTime(), SIZE),
                  "edgecache; hit")).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(200, whole.statusCode());
      assertArrayEquals(expected(0, (int) SIZE), whole.body());

      assertEquals(2, stats.servedFromS3());
      assertEquals(0, stats.servedFromDisk());
      assertTrue(!Files.exists(store.disk().orElseThrow().fileOf(KEY)),
          "serving a body does not copy it to disk; a lookup does");
    }
  }

  private static byte[] expected(long first, int length) {
    byte[] bytes = new byte[length];
    for (int i = 0; i < length; i++) {
      bytes[i] = PatternBytes.at(first + i);
    }
    return bytes;
  }
}
