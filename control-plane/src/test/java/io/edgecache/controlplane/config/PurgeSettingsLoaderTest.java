package io.edgecache.controlplane.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PurgeSettingsLoaderTest {

  @TempDir Path dir;

  @Test
  void readsTokensInlineAndFromFilesRelativeToTheConfig() throws Exception {
    Files.writeString(dir.resolve("tenant.token"), "tenant-secret-0123456789\n");
    Path file = write("""
        purge:
          adminListen: 127.0.0.1:18101
          log: state/purge.log
          retention: 2h
          edge: http://127.0.0.1:10000
          rateLimit: {perSecond: 5, burst: 7}
          tokens:
            - {name: ops, token: ops-secret-0123456789}
            - {name: tenant, tokenFile: tenant.token, hosts: [Shop.Example]}
        """);
    PurgeSettings settings = PurgeSettingsLoader.load(file).orElseThrow();
    assertEquals(18101, settings.adminListen().port());
    assertEquals(dir.toAbsolutePath().resolve("state/purge.log"), settings.logPath());
    assertEquals(Duration.ofHours(2), settings.retention());
    assertEquals(new PurgeSettings.RateLimit(5, 7), settings.rateLimit());
    assertEquals("tenant-secret-0123456789", settings.tokens().get(1).secret());
    assertEquals(Set.of("shop.example"), settings.tokens().get(1).hosts());
    assertTrue(settings.tokens().get(0).unscoped());
  }

  /** The defaults README's purge reference documents, for every field left out. */
  @Test
  void omittedFieldsTakeTheDocumentedDefaults() throws Exception {
    Path file = write("""
        purge:
          tokens: [{name: ops, token: ops-secret-0123456789}]
          redis: {uri: "redis://127.0.0.1:6379"}
          leader: {identity: a, lease: {namespace: edge}}
        """);
    PurgeSettings settings = PurgeSettingsLoader.load(file).orElseThrow();
    assertEquals(new EdgecacheConfig.HostPort("127.0.0.1", 18001), settings.adminListen());
    assertEquals(dir.toAbsolutePath().resolve(".edgecache/purge.log"), settings.logPath());
    assertEquals(Duration.ofDays(1), settings.retention());
    assertEquals(new PurgeSettings.RateLimit(10, 20), settings.rateLimit());
    assertEquals(new PurgeSettings.RedisLog("redis://127.0.0.1:6379", "edgecache:purge-log", Duration.ofSeconds(2)),
        settings.redisLog().orElseThrow());
    assertEquals(new PurgeSettings.Lease("edge", "edgecache-purge-leader", Duration.ofSeconds(15)),
        settings.leader().orElseThrow().lease().orElseThrow());
  }

  @Test
  void noPurgeSectionMeansNoPurgeCoordination() throws Exception {
    assertTrue(PurgeSettingsLoader.load(write("extProc: {address: 127.0.0.1:1}\n")).isEmpty());
  }

  @Test
  void errorsNameFileLineAndField() throws Exception {
    assertRejected("""
        purge:
          tokens:
            - {name: ops, token: short}
        """, ":3: purge.tokens[0].token: a token must be at least 16 characters");
    assertRejected("""
        purge:
          tokens:
            - {name: ops, token: ops-secret-0123456789, hostz: [a]}
        """, ":3: purge.tokens[0].hostz: unknown field");
    assertRejected("""
        purge:
          retention: forever
          tokens:
            - {name: ops, token: ops-secret-0123456789}
        """, ":2: purge.retention: expected a positive duration");
    assertRejected("""
        purge:
          tokens:
            - {name: ops, tokenFile: missing.token}
        """, ":3: purge.tokens[0].tokenFile: cannot read");
    assertRejected("""
        purge:
          adminListen: 127.0.0.1:18101
        """, ":2: purge.tokens: required");
  }

  private void assertRejected(String yaml, String expected) throws Exception {
    Path file = write(yaml);
    ConfigException e = assertThrows(ConfigException.class, () -> PurgeSettingsLoader.load(file));
    assertTrue(e.getMessage().startsWith(file + expected), e.getMessage());
  }

  private Path write(String yaml) throws Exception {
    return Files.writeString(dir.resolve("control-plane.yaml"), yaml);
  }
}
