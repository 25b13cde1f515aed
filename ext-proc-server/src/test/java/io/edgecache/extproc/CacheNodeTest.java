package io.edgecache.extproc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.body.BodyTokens;
import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.config.ServerConfigLoader;
import io.edgecache.extproc.telemetry.Telemetry;
import io.edgecache.extproc.testing.ManualClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A cache node as its configuration builds it. */
class CacheNodeTest {

  private final ManualClock clock = new ManualClock(Instant.parse("2026-11-22T00:00:00Z"));

  @TempDir Path dir;

  @Test
  void nodesGivenOneTokenSecretFileAcceptEachOthersReroutes() throws Exception {
    Path secret = Files.writeString(dir.resolve("secret"), "pool-secret-0123456789abcdef\n");
    try (CacheNode a = new CacheNode(config("a", secret), clock, Telemetry.disabled());
        CacheNode b = new CacheNode(config("b", secret), clock, Telemetry.disabled());
        CacheNode alone = new CacheNode(config("c", null), clock, Telemetry.disabled())) {
      String token = a.bodyTokens().issue("http://example.test/v.mp4", "1-1", "edgecache; hit");
      assertEquals("http://example.test/v.mp4", b.bodyTokens().verify(token).orElseThrow().key());
      assertTrue(alone.bodyTokens().verify(token).isEmpty(), "its own random secret");
    }
  }

  @Test
  void anUnreadableTokenSecretFileFailsTheNodeNamingTheField() throws Exception {
    ServerConfig config = config("d", dir.resolve("missing"));
    IOException e = assertThrows(IOException.class,
        () -> new CacheNode(config, clock, Telemetry.disabled()).close());
    assertTrue(e.getMessage().startsWith("tiers.bodyTokenSecretFile: cannot read "),
        e.getMessage());
  }

  private ServerConfig config(String node, Path secret) throws Exception {
    return ServerConfigLoader.load(Files.writeString(dir.resolve(node + ".yaml"), """
        tiers:
          bodyListen: 127.0.0.1:0
          disk: { enabled: true, path: %s }
        %s""".formatted(dir.resolve(node + "-disk"),
        secret == null ? "" : "  bodyTokenSecretFile: " + secret + "\n")));
  }
}
