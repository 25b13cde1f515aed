package io.edgecache.extproc.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerConfigLoaderTest {

  @TempDir Path dir;

  @Test
  void loadsEveryField() throws Exception {
    ServerConfig config = ServerConfigLoader.load(write("""
        listen: 127.0.0.1:6000
        cache:
          l1MaxBytes: 64MiB
          maxObjectBytes: 1MiB
          heuristicFraction: 0.2
          heuristicMaxAge: 2h
        drainTimeout: 3s
        routes:
          - host: static.example.com
            pathPrefix: /img/
            shareResponsesWithSetCookie: true
        """));
    assertEquals(6000, config.listen().getPort());
    assertEquals(64L << 20, config.l1MaxBytes());
    assertEquals(1L << 20, config.maxObjectBytes());
    assertTrue(config.routeFor("STATIC.example.com:8080", "/img/a.png")
        .shareResponsesWithSetCookie());
    assertEquals(RoutePolicy.DEFAULT, config.routeFor("other.example.com", "/img/a.png"));
  }

  @Test
  void theSampleConfigurationLoads() throws Exception {
    Path dir = Path.of("").toAbsolutePath();
    while (!Files.isRegularFile(dir.resolve("config/edgecache.yaml"))) {
      dir = dir.getParent();
    }
    ServerConfig config = ServerConfigLoader.load(dir.resolve("config/edgecache.yaml"));
    assertEquals(RoutePolicy.Mode.CACHE_EVERYTHING,
        config.routeFor("example.com", "/static/app.js").mode());
  }

  @Test
  void unknownFieldIsNamedWithItsLine() throws Exception {
    ConfigException e = assertThrows(ConfigException.class, () -> ServerConfigLoader.load(write("""
        listen: 127.0.0.1:6000
        cache:
          l1MaxByte: 64MiB
        """)));
    assertTrue(e.getMessage().contains("edgecache.yaml:3:"), e.getMessage());
    assertTrue(e.getMessage().contains("unknown field 'cache.l1MaxByte'"), e.getMessage());
  }

  @Test
  void badValuesNameTheirField() throws Exception {
    assertMessage("cache:\n  maxObjectBytes: 8 parsecs\n",
        "cache.maxObjectBytes: '8 parsecs' is not a byte size");
    assertMessage("routes:\n  - pathPrefix: img\n",
        "routes[0].pathPrefix: 'img' must start with '/'");
    assertMessage("listen: localhost\n", "listen: 'localhost' is not host:port");
    assertMessage("cache:\n  l1MaxBytes: 1MiB\n  maxObjectBytes: 2MiB\n",
        "cache.maxObjectBytes: must be greater than 0 and at most cache.l1MaxBytes");
  }

  private void assertMessage(String yaml, String expected) throws Exception {
    ConfigException e = assertThrows(ConfigException.class,
        () -> ServerConfigLoader.load(write(yaml)));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  private Path write(String yaml) throws Exception {
    Path file = dir.resolve("edgecache.yaml");
    Files.writeString(file, yaml);
    return file;
  }
}
