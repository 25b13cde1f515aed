package io.edgecache.extproc.store.tier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.config.TiersConfig;
import io.edgecache.extproc.testing.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A real redis-server: tagged writes send the tag script's text once per server, then only its
 * SHA-1, and a server that lost its script cache is taught it again by the next write. What the
 * server executed is read from its own {@code INFO commandstats}.
 */
class RedisTagIndexTest {
  private static final Duration KEEP = Duration.ofMinutes(5);
  private static final Pattern CALLS = Pattern.compile("calls=(\\d+)");

  private RedisServer server;
  private RedisTier tier;
  private RedisClient inspector;
  private StatefulRedisConnection<String, String> inspection;

  @BeforeEach
  void start() throws Exception {
    server = RedisServer.start();
    tier = RedisTier.connect(new TiersConfig.Redis(true, server.uri(), false, Duration.ofSeconds(5)));
    inspector = RedisClient.create(server.uri());
    inspector.setDefaultTimeout(Duration.ofSeconds(5));
    inspection = inspector.connect();
  }

  @AfterEach
  void stop() {
    inspection.close();
    inspector.shutdown();
    tier.close();
    server.close();
  }

  @Test
  void theScriptTextGoesToTheServerOnceAndItsShaAfterwards() throws Exception {
    for (int i = 0; i < 5; i++) {
      tier.index("key-" + i, Set.of("product-7"), KEEP).get(5, TimeUnit.SECONDS);
    }

    RedisCommands<String, String> redis = inspection.sync();
    assertEquals(Set.of("key-0", "key-1", "key-2", "key-3", "key-4"), redis.smembers("edgecache-tag:product-7"));
    assertTrue(redis.pttl("edgecache-tag:product-7") > KEEP.minusSeconds(60).toMillis());
    String stats = redis.info("commandstats");
    assertEquals(1, calls(stats, "eval"), stats);
    assertTrue(calls(stats, "evalsha") >= 4, stats);
  }

  @Test
  void aServerThatLostTheScriptIsTaughtItByTheNextWrite() throws Exception {
    tier.index("before", Set.of("t"), KEEP).get(5, TimeUnit.SECONDS);
    RedisCommands<String, String> redis = inspection.sync();
    redis.scriptFlush();

    tier.index("after", Set.of("t"), KEEP).get(5, TimeUnit.SECONDS);

    assertEquals(Set.of("before", "after"), redis.smembers("edgecache-tag:t"));
    assertEquals(2, calls(redis.info("commandstats"), "eval"));
  }

  /** Calls of {@code command} in INFO commandstats; 0 when it never ran. */
  private static long calls(String commandStats, String command) {
    for (String line : commandStats.split("\r?\n")) {
      if (line.startsWith("cmdstat_" + command + ":")) {
        Matcher m = CALLS.matcher(line);
        assertTrue(m.find(), line);
        return Long.parseLong(m.group(1));
      }
    }
    return 0;
  }
}
