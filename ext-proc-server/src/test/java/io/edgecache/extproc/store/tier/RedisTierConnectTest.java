package io.edgecache.extproc.store.tier;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.edgecache.extproc.config.TiersConfig;
import io.edgecache.extproc.testing.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** A real redis-server: the tier connects when it is opened, not on its first call. */
class RedisTierConnectTest {

  @Test
  void bothConnectionsAreMadeBeforeAnyCall() throws Exception {
    try (RedisServer server = RedisServer.start();
        RedisTier tier = RedisTier.connect(
            new TiersConfig.Redis(true, server.uri(), false, Duration.ofMillis(50)))) {
      RedisClient inspector = RedisClient.create(server.uri());
      try (StatefulRedisConnection<String, String> inspect = inspector.connect()) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        long others;
        // The tier's two connections plus the inspector's own.
        while ((others = clients(inspect) - 1) < 2 && System.nanoTime() < deadline) {
          Thread.onSpinWait();
        }
        assertEquals(2, others, "connections the tier made without being called: "
            + inspect.sync().clientList());
      } finally {
        inspector.shutdown();
      }
    }
  }

  private static long clients(StatefulRedisConnection<String, String> inspect) {
    return Arrays.stream(inspect.sync().clientList().split("\n"))
        .filter(line -> !line.isBlank()).count();
  }
}
