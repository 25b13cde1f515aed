package io.edgecache.extproc.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The embedded-redis fallback runs on this machine, whatever PATH holds. */
class RedisExecutableTest {

  @Test
  void theEmbeddedBinaryServesWhenForced() throws Exception {
    try (RedisServer redis = RedisServer.start(RedisExecutable::embedded)) {
      assertEquals("PONG", redis.command("PING"));
      assertTrue(redis.command("INFO", "server").contains("redis_version:6.2."),
          "the embedded-redis binary, not PATH's");
      assertEquals("OK", redis.command("SET", "k", "v"));
      assertEquals("v", redis.command("GET", "k"));
    }
  }
}
