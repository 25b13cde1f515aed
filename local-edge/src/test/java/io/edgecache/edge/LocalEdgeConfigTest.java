package io.edgecache.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.config.ConfigException;
import io.edgecache.edge.config.HttpTimeouts;
import io.edgecache.edge.config.LocalEdgeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalEdgeConfigTest {

  private static String yaml(Path dir, String origin, String extra) {
    String bootstrap = dir.relativize(RepoFiles.envoyYaml()).toString();
    return "listen: 127.0.0.1:0\n"
        + "envoyBootstrap: " + bootstrap + "\n"
        + "extProcTarget: 127.0.0.1:50051\n"
        + extra
        + "routes:\n"
        + "  - host: \"*\"\n"
        + "    pathPrefix: /\n"
        + "    origin: " + origin + "\n"
        + "    timeout: 2.5s\n";
  }

  @Test
  void loadsWithBootstrapRelativeToTheFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("local-edge.yaml");
    Files.writeString(file, yaml(dir, "http://127.0.0.1:8080", "bufferLimitBytes: 4096\n"));
    LocalEdgeConfig config = LocalEdgeConfig.load(file);
    assertEquals(4096, config.bufferLimitBytes());
    assertEquals(Duration.ofMillis(2500), config.routes().get(0).timeout());
    assertTrue(config.externalProcessor().getAllowModeOverride());
    assertEquals(50051, config.extProcPort());
  }

  @Test
  void timeoutsDefaultToEnvoysAndEachCanBeSet(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("local-edge.yaml");
    Files.writeString(file, yaml(dir, "http://127.0.0.1:8080", "timeouts: {streamIdle: 30s, originIdle: 0s}\n"));
    HttpTimeouts timeouts = LocalEdgeConfig.load(file).timeouts();
    assertEquals(new HttpTimeouts(HttpTimeouts.DEFAULTS.requestHeaders(), Duration.ofSeconds(30),
        HttpTimeouts.DEFAULTS.connectionIdle(), Duration.ZERO), timeouts);
    assertEquals(Duration.ofMinutes(5), HttpTimeouts.DEFAULTS.streamIdle());
    assertEquals(Duration.ofHours(1), HttpTimeouts.DEFAULTS.connectionIdle());
  }

  @Test
  void adminIsOffUnlessAnAddressIsGiven(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("local-edge.yaml");
    Files.writeString(file, yaml(dir, "http://127.0.0.1:8080", ""));
    assertTrue(LocalEdgeConfig.load(file).admin().isEmpty());
    Files.writeString(file, yaml(dir, "http://127.0.0.1:8080", "admin: 127.0.0.1:9901\n"));
    assertEquals(9901, LocalEdgeConfig.load(file).admin().orElseThrow().getPort());
    Files.writeString(file, yaml(dir, "http://127.0.0.1:8080", "admin: nowhere\n"));
    ConfigException e = assertThrows(ConfigException.class, () -> LocalEdgeConfig.load(file));
    assertTrue(e.getMessage().contains("admin"), e.getMessage());
  }

  @Test
  void badTimeoutNamesTheField(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("local-edge.yaml");
    Files.writeString(file, yaml(dir, "http://127.0.0.1:8080", "timeouts: {requestHeaders: soon}\n"));
    ConfigException e = assertThrows(ConfigException.class, () -> LocalEdgeConfig.load(file));
    assertEquals(file + ":4: timeouts.requestHeaders: must be a duration like 15s, 0.5s or 500ms,"
        + " got 'soon'", e.getMessage());
  }

  @Test
  void valuesReadAsInTheOtherProcessesAndBadOnesKeepFileLineAndField(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("local-edge.yaml");
    Files.writeString(file, yaml(dir, "http://127.0.0.1:8080",
        "bufferLimitBytes: 1MiB\ntimeouts: {streamIdle: 0.5s, originIdle: 500ms}\n"));
    LocalEdgeConfig config = LocalEdgeConfig.load(file);
    assertEquals(1 << 20, config.bufferLimitBytes());
    assertEquals(Duration.ofMillis(500), config.timeouts().streamIdle());
    assertEquals(config.timeouts().streamIdle(), config.timeouts().originIdle());
    Files.writeString(file, yaml(dir, "http://127.0.0.1:8080", "timeouts:\n  streamIdle: soon\n"));
    ConfigException e = assertThrows(ConfigException.class, () -> LocalEdgeConfig.load(file));
    assertEquals(file + ":5: timeouts.streamIdle: must be a duration like 15s, 0.5s or 500ms,"
        + " got 'soon'", e.getMessage());
    assertEquals(file.toString(), e.file().orElseThrow());
    assertEquals(5, e.line());
    assertEquals("timeouts.streamIdle", e.field().orElseThrow());
  }

  @Test
  void badOriginNamesTheField(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("local-edge.yaml");
    Files.writeString(file, yaml(dir, "ftp://nope", ""));
    ConfigException e = assertThrows(ConfigException.class, () -> LocalEdgeConfig.load(file));
    assertEquals(file + ":7: routes[0].origin: must be an http:// URL", e.getMessage());
  }

  @Test
  void unknownFieldNamesTheField(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("local-edge.yaml");
    Files.writeString(file, yaml(dir, "http://127.0.0.1:8080", "bufferLimit: 1\n"));
    ConfigException e = assertThrows(ConfigException.class, () -> LocalEdgeConfig.load(file));
    assertTrue(e.getMessage().startsWith(file + ":4: bufferLimit:"), e.getMessage());
  }

  @Test
  void adminOutsideLoopbackIsRefused(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("local-edge.yaml");
    Files.writeString(file, yaml(dir, "http://127.0.0.1:8080", "admin: 0.0.0.0:9901\n"));
    ConfigException e = assertThrows(ConfigException.class, () -> LocalEdgeConfig.load(file));
    assertTrue(e.getMessage().startsWith(file + ":4: admin: /stats has no authentication"),
        e.getMessage());
    Files.writeString(file, yaml(dir, "http://127.0.0.1:8080", "admin: 127.0.0.1:0\n"));
    assertTrue(LocalEdgeConfig.load(file).admin().isPresent());
  }
}
