package io.edgecache.extproc.store;

import com.google.protobuf.ByteString;
import io.edgecache.extproc.cache.CacheKey;
import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.cache.ReuseRules;
import io.edgecache.extproc.config.TiersConfig;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.testing.S3Server;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BooleanSupplier;

/** Entries and tier configurations the store tests share. */
final class StoreFixtures {

  static final Duration BUDGET = Duration.ofSeconds(2);

  private StoreFixtures() {}

  static CacheKey key(String path) {
    return CacheKey.of("http", "example.test", path);
  }

  /** A 200 response fresh for an hour from {@code now}, with a {@code size}-byte body. */
  static CachedResponse entry(Instant now, int size, long seed) {
    byte[] body = new byte[size];
    new Random(seed).nextBytes(body);
    return new CachedResponse(200,
        HeaderList.of(List.of(new HeaderList.Field("content-type", "application/octet-stream"),
            new HeaderList.Field("cache-control", "max-age=3600"))),
        ByteString.copyFrom(body), now, Duration.ZERO, Duration.ofHours(1),
        Map.of("accept-encoding", "gzip"),
        new ReuseRules(Duration.ofSeconds(30), Duration.ofMinutes(5), false, false, true));
  }

  /** Equal field by field (HeaderList has no equals of its own). */
  static void assertSameEntry(CachedResponse expected, CachedResponse actual) {
    org.junit.jupiter.api.Assertions.assertNotNull(actual, "no entry");
    org.junit.jupiter.api.Assertions.assertEquals(expected.headers().fields(),
        actual.headers().fields());
    org.junit.jupiter.api.Assertions.assertEquals(
        new CachedResponse(expected.status(), actual.headers(), expected.body(),
            expected.responseTime(), expected.correctedInitialAge(),
            expected.freshnessLifetime(), expected.varyValues(), expected.rules()),
        actual);
  }

  /** Tiers with short breaker cool-down; a null argument leaves that tier off. */
  static TiersConfig tiers(Path disk, String redisUri, URI s3Endpoint, Path credentialsDir)
      throws IOException {
    TiersConfig defaults = TiersConfig.defaults();
    TiersConfig.Credentials credentials = credentialsDir == null
        ? TiersConfig.Credentials.ENVIRONMENT
        : S3Server.credentials(credentialsDir);
    return new TiersConfig(1L << 20, 1024, defaults.writeQueueBytes(), 3, Duration.ofSeconds(1),
        Duration.ofMillis(100), null, null,
        new TiersConfig.Disk(disk != null, disk, 1L << 30, BUDGET),
        new TiersConfig.Redis(redisUri != null, redisUri == null ? "redis://unused:1" : redisUri,
            false, BUDGET),
        new TiersConfig.S3(s3Endpoint != null, "edgecache-test", "nodes/", s3Endpoint,
            "us-east-1", true, credentials, 5L << 20, Duration.ofSeconds(10)));
  }

  /** Polls {@code condition} until true or {@code deadline} passes; false on timeout. */
  static boolean eventually(Duration deadline, BooleanSupplier condition)
      throws InterruptedException {
    long end = System.nanoTime() + deadline.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        return false;
      }
      Thread.sleep(10); // polling an asynchronous outcome, bounded by the deadline
    }
    return true;
  }
}
