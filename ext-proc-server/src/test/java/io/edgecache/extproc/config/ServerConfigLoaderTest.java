package io.edgecache.extproc.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.config.ConfigException;
import io.edgecache.http.EscapedSlashes;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
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
            storeSetCookie: true
          - host: static.example.com
            pathPrefix: /
            shareResponsesWithSetCookie: true
        """));
    assertEquals(6000, config.listen().getPort());
    assertEquals(64L << 20, config.l1MaxBytes());
    assertEquals(1L << 20, config.maxObjectBytes());
    assertTrue(config.routeFor("STATIC.example.com:8080", "/img/a.png")
        .shareResponsesWithSetCookie());
    assertTrue(config.routeFor("static.example.com", "/img/a.png").storeSetCookie());
    assertFalse(config.routeFor("static.example.com", "/other").storeSetCookie());
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
    String streaming = "tiers:\n  bodyListen: 127.0.0.1:0\n"
        + "  disk: {enabled: true, path: /tmp/unused, maxBytes: 1GiB}\n";
    assertMessage("cache:\n  maxObjectBytes: 2GiB\n" + streaming,
        "cache.maxObjectBytes: must be greater than 0 and at most tiers.disk.maxBytes");
    assertMessage("routes:\n  - pathPrefix: /a/\n    storeSetCookie: true\n",
        "routes[0].storeSetCookie: needs shareResponsesWithSetCookie: true");
    assertMessage("tiers:\n  writeQueueBytes: 0\n",
        "tiers.writeQueueBytes: must be greater than 0");
    assertMessage("tiers:\n  bodyTokenSecretFile: /run/secrets/body\n",
        "tiers.bodyTokenSecretFile: signs reroutes to the body endpoint, so needs"
            + " tiers.bodyListen");
  }

  @Test
  void bodiesBeyondMemoryAreAllowedWhenLargeBodiesStreamFromDisk() throws Exception {
    ServerConfig config = ServerConfigLoader.load(write("""
        cache: {l1MaxBytes: 64MiB, maxObjectBytes: 1GiB}
        tiers:
          bodyListen: 127.0.0.1:0
          disk: {enabled: true, path: /tmp/unused, maxBytes: 2GiB}
        """));
    assertEquals(1L << 30, config.maxObjectBytes());
  }

  @Test
  void lowerTiersAreOffByDefault() throws Exception {
    TiersConfig tiers = ServerConfigLoader.load(write("listen: 127.0.0.1:6000\n")).tiers();
    assertFalse(tiers.anyLowerTier());
    assertNull(tiers.bodyListen());
  }

  @Test
  void loadsEveryTierField() throws Exception {
    TiersConfig tiers = ServerConfigLoader.load(write("""
        tiers:
          largeObjectBytes: 2MiB
          writeQueueCapacity: 64
          writeQueueBytes: 16MiB
          bodyListen: 127.0.0.1:6001
          breaker: {failures: 4, coolDown: 10s}
          disk: {enabled: true, path: /var/cache/ec, maxBytes: 5GiB, timeout: 100ms}
          redis: {enabled: true, uri: "redis://redis:6379", cluster: true, timeout: 30ms}
          s3:
            enabled: true
            bucket: reserve
            prefix: edge/
            endpoint: http://127.0.0.1:9000
            region: eu-west-1
            pathStyle: true
            multipartBytes: 16MiB
            timeout: 1s
            credentials:
              source: files
              accessKeyIdFile: /run/secrets/id
              secretAccessKeyFile: /run/secrets/secret
        """)).tiers();
    assertEquals(2L << 20, tiers.largeObjectBytes());
    assertEquals(64, tiers.writeQueueCapacity());
    assertEquals(16L << 20, tiers.writeQueueBytes());
    assertEquals(6001, tiers.bodyListen().getPort());
    assertEquals(4, tiers.breakerFailures());
    assertEquals(Duration.ofSeconds(10), tiers.breakerCoolDown());
    assertEquals(new TiersConfig.Disk(true, Path.of("/var/cache/ec"), 5L << 30,
        Duration.ofMillis(100)), tiers.disk());
    assertEquals(new TiersConfig.Redis(true, "redis://redis:6379", true, Duration.ofMillis(30)),
        tiers.redis());
    assertEquals(new TiersConfig.S3(true, "reserve", "edge/", URI.create("http://127.0.0.1:9000"),
        "eu-west-1", true, new TiersConfig.Credentials(TiersConfig.Credentials.Source.FILES,
            Path.of("/run/secrets/id"), Path.of("/run/secrets/secret")),
        16L << 20, Duration.ofSeconds(1)), tiers.s3());
  }

  @Test
  void badTierValuesNameTheirField() throws Exception {
    assertMessage("tiers:\n  s3: {enabled: true}\n",
        "tiers.s3.bucket: required when tiers.s3.enabled is true");
    assertMessage("tiers:\n  redis: {uri: \"localhost:6379\"}\n",
        "tiers.redis.uri: 'localhost:6379' is not a redis:// or rediss:// URI");
    assertMessage("tiers:\n  s3: {multipartBytes: 1MiB}\n",
        "tiers.s3.multipartBytes: must be at least 5MiB");
    assertMessage("tiers:\n  s3: {credentials: {source: vault}}\n",
        "tiers.s3.credentials.source: 'vault' is not 'environment' or 'files'");
    assertMessage("tiers:\n  bodyListen: 127.0.0.1:6001\n",
        "tiers.bodyListen: streams bodies from disk, so needs tiers.disk.enabled: true");
    assertMessage("tiers:\n  disk: {maxBytes: 0}\n", "tiers.disk.maxBytes: must be greater than 0");
    assertMessage("tiers:\n  breaker: {coolDown: soon}\n",
        "tiers.breaker.coolDown: 'soon' is not a duration");
    assertMessage("tiers:\n  disk: {enable: true}\n", "unknown field 'tiers.disk.enable'");
  }

  @Test
  void clusterCollapsingIsOffByDefaultAndLoadsWithRedis() throws Exception {
    assertFalse(ServerConfigLoader.load(write("listen: 127.0.0.1:6000\n"))
        .collapsing().cluster().enabled());
    ServerConfig config = ServerConfigLoader.load(write("""
        collapsing:
          cluster: {enabled: true, leaseTtl: 3s}
        tiers:
          redis: {enabled: true, uri: "redis://10.0.0.5:6379"}
        """));
    assertEquals(new ServerConfig.ClusterCollapsing(true, Duration.ofSeconds(3)),
        config.collapsing().cluster());
  }

  @Test
  void badClusterCollapsingNamesItsField() throws Exception {
    assertMessage("collapsing:\n  cluster: {enabled: true}\n",
        "collapsing.cluster.enabled: nodes collapse through the Redis tier, which is off");
    assertMessage("collapsing:\n  cluster: {enabled: true}\ntiers:\n"
            + "  redis: {enabled: true, cluster: true}\n",
        "collapsing.cluster.enabled: not supported with a Redis Cluster");
    assertMessage("collapsing:\n  enabled: false\n  cluster: {enabled: true}\ntiers:\n"
            + "  redis: {enabled: true}\n",
        "collapsing.cluster.enabled: collapsing across nodes needs collapsing.enabled: true");
    assertMessage("collapsing:\n  cluster: {leaseTtl: 0s}\n",
        "collapsing.cluster.leaseTtl: must be at least 100ms");
    assertMessage("collapsing:\n  cluster: {leaseTTL: 1s}\n",
        "unknown field 'collapsing.cluster.leaseTTL'");
  }

  @Test
  void poisoningDefencesAreOnByDefaultAndConfigurable() throws Exception {
    ServerConfig defaults = ServerConfigLoader.load(write("routes:\n  - pathPrefix: /\n"));
    assertEquals(EscapedSlashes.REJECT, defaults.escapedSlashes());
    RoutePolicy route = defaults.routeFor("a.example", "/x");
    assertEquals(RoutePolicy.DEFAULT_STRIP_HEADERS, route.stripHeaders());
    assertFalse(route.cacheEverythingWithCredentials() || route.storeResponsesToCookieRequests()
        || route.forwardExcludedQuery());

    ServerConfig custom = ServerConfigLoader.load(write("""
        escapedSlashes: unescape
        routes:
          - pathPrefix: /
            stripHeaders: [X-Forwarded-Host]
            cacheEverythingWithCredentials: true
            storeResponsesToCookieRequests: true
            forwardExcludedQuery: true
        """));
    assertEquals(EscapedSlashes.UNESCAPE, custom.escapedSlashes());
    RoutePolicy opened = custom.routeFor("a.example", "/x");
    assertEquals(List.of("x-forwarded-host"), opened.stripHeaders());
    assertTrue(opened.cacheEverythingWithCredentials() && opened.storeResponsesToCookieRequests()
        && opened.forwardExcludedQuery());
    assertMessage("escapedSlashes: redirect\n",
        "escapedSlashes: 'redirect' is not one of reject, unescape, keep");
  }

  @Test
  void valuesReadAsInTheOtherProcessesAndBadOnesNameFileLineAndField() throws Exception {
    ServerConfig decimal = ServerConfigLoader.load(write("""
        cache: {l1MaxBytes: 1GiB}
        collapsing: {maxWait: 0.5s}
        """));
    ServerConfig whole = ServerConfigLoader.load(write("""
        cache: {l1MaxBytes: 1073741824}
        collapsing: {maxWait: 500ms}
        """));
    assertEquals(Duration.ofMillis(500), decimal.collapsing().maxWait());
    assertEquals(decimal.collapsing().maxWait(), whole.collapsing().maxWait());
    assertEquals(1L << 30, decimal.l1MaxBytes());
    assertEquals(decimal.l1MaxBytes(), whole.l1MaxBytes());
    Path file = dir.resolve("edgecache.yaml");
    ConfigException e = assertThrows(ConfigException.class, () -> ServerConfigLoader.load(write("""
        listen: 127.0.0.1:6000
        tiers:
          disk:
            enabled: true
            maxBytes: 8 parsecs
        """)));
    assertEquals(file + ":5: tiers.disk.maxBytes: '8 parsecs' is not a byte size"
        + " (examples: 1048576, 64KiB, 512MiB, 1GiB)", e.getMessage());
  }

  @Test
  void tlsAllowedClientsAreReadAndAnEmptyOrRepeatedListIsRefusedWithItsLine() throws Exception {
    String files = tlsFiles();
    ServerConfig config = ServerConfigLoader.load(write(files + """
          allowedClients:
            - spiffe://cluster.local/ns/edge/sa/envoy
            - envoy-gateway
        """));
    assertEquals(java.util.Set.of("spiffe://cluster.local/ns/edge/sa/envoy", "envoy-gateway"),
        config.tls().allowedClients());
    assertTrue(ServerConfigLoader.load(write(files)).tls().allowedClients().isEmpty(),
        "absent: every certificate from caFile");
    Path file = dir.resolve("edgecache.yaml");
    assertMessage(files + "  allowedClients: []\n", file + ":5: tls.allowedClients: lists no"
        + " identity, so no client could connect");
    assertMessage(files + "  allowedClients: [envoy, envoy]\n",
        file + ":5: tls.allowedClients[1]: 'envoy' is listed twice");
    assertMessage(files + "  allowedClients: ['  ']\n",
        file + ":5: tls.allowedClients[0]: an identity");
  }

  /**
   * A sidecar node: its purge stream presents the certificate, its ext_proc port stays plaintext,
   * which only a loopback listen address may; allowedClients would have nothing to admit.
   */
  @Test
  void extProcPortPlaintextIsForLoopbackOnly() throws Exception {
    String files = tlsFiles();
    ServerConfig sidecar = ServerConfigLoader.load(write("listen: 127.0.0.1:50051\n" + files
        + "  extProcPort: plaintext\n"));
    assertFalse(sidecar.tls().extProcMtls());
    assertTrue(ServerConfigLoader.load(write(files)).tls().extProcMtls(), "mtls by default");
    Path file = dir.resolve("edgecache.yaml");
    assertMessage("listen: 0.0.0.0:50051\n" + files + "  extProcPort: plaintext\n",
        file + ":6: tls.extProcPort: plaintext is for a node its pod's Envoy calls over loopback,"
            + " and listen is 0.0.0.0:50051: whoever reaches the port could write the cache");
    assertMessage("listen: 127.0.0.1:50051\n" + files + "  extProcPort: plaintext\n"
            + "  allowedClients: [envoy]\n",
        file + ":7: tls.allowedClients: admits clients of the ext_proc port, which extProcPort:"
            + " plaintext leaves without TLS");
    assertMessage(files + "  extProcPort: tls\n",
        file + ":5: tls.extProcPort: expected mtls or plaintext, got 'tls'");
  }

  /**
   * A ConfigMap mounted as a directory: the overlay's file and a component's tls.yaml beside it
   * load as one configuration; a field set in two files is refused naming both places.
   */
  @Test
  void aDirectoryLoadsAsOneConfigurationWithEachFieldInOneFile() throws Exception {
    Path config = Files.createDirectory(dir.resolve("config"));
    Files.writeString(config.resolve("edgecache.yaml"), "listen: 0.0.0.0:50051\ndrainTimeout: 20s\n");
    Files.writeString(config.resolve("tls.yaml"), tlsFiles()
        + "  allowedClients: [spiffe://edgecache.local/gateway/envoy]\n");
    Files.writeString(config.resolve("README.txt"), "not yaml: not read\n");
    ServerConfig loaded = ServerConfigLoader.load(config);
    assertEquals(Duration.ofSeconds(20), loaded.drainTimeout());
    assertEquals(java.util.Set.of("spiffe://edgecache.local/gateway/envoy"),
        loaded.tls().allowedClients());

    Files.writeString(config.resolve("tls.yaml"), "drainTimeout: 5s\n");
    ConfigException twice = assertThrows(ConfigException.class, () -> ServerConfigLoader.load(config));
    assertEquals(config.resolve("tls.yaml") + ":1: drainTimeout: already defined at "
        + config.resolve("edgecache.yaml") + ":2; a field may be set in one file of the directory"
        + " only", twice.getMessage());
    Path empty = Files.createDirectory(dir.resolve("empty"));
    assertEquals(empty + ": directory holds no *.yaml file",
        assertThrows(ConfigException.class, () -> ServerConfigLoader.load(empty)).getMessage());
  }

  /** A tls block whose three files exist (their content is read when the server starts). */
  private String tlsFiles() throws Exception {
    for (String name : new String[] {"tls.crt", "tls.key", "ca.crt"}) {
      Files.writeString(dir.resolve(name), "not read at load\n");
    }
    return "tls:\n  certFile: " + dir.resolve("tls.crt") + "\n  keyFile: " + dir.resolve("tls.key")
        + "\n  caFile: " + dir.resolve("ca.crt") + "\n";
  }

  /** Envoy refuses a max_message_timeout above 1h, so no follower could ever wait longer. */
  @Test
  void waitsAreBoundedAtLoad() throws Exception {
    assertMessage("collapsing:\n  maxWait: 2h\n",
        "edgecache.yaml:2: collapsing.maxWait: must be at most 1h");
    assertMessage("drainTimeout: 3601s\n", "edgecache.yaml:1: drainTimeout: must be at most 1h");
    assertEquals(Duration.ofHours(1),
        ServerConfigLoader.load(write("collapsing: {maxWait: 60m}\ndrainTimeout: 1h\n"))
            .collapsing().maxWait());
  }

  @Test
  void notANumberIsNoFraction() throws Exception {
    assertMessage("cache:\n  heuristicFraction: NaN\n",
        "edgecache.yaml:2: cache.heuristicFraction: must be between 0 and 1");
  }

  /** A route may lower the bound on bodies recorded in memory, not raise it past the L1. */
  @Test
  void aRoutesMaxObjectBytesIsBoundByWhatHoldsTheBodies() throws Exception {
    assertMessage("cache: {l1MaxBytes: 64MiB}\nroutes:\n  - pathPrefix: /big/\n"
            + "    maxObjectBytes: 8TiB\n",
        "routes[0].maxObjectBytes: must be at most cache.l1MaxBytes (67108864)");
  }

  /** SnakeYAML's alias limit is a config error naming the file, not a stack trace. */
  @Test
  void anAliasBombIsRefusedNamingTheFile() throws Exception {
    StringBuilder yaml = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (int level = 1; level <= 7; level++) {
      yaml.append("a").append(level).append(": &a").append(level).append(" [");
      for (int i = 0; i < 10; i++) {
        yaml.append(i == 0 ? "" : ", ").append("*a").append(level - 1);
      }
      yaml.append("]\n");
    }
    assertMessage(yaml.toString(), "edgecache.yaml:0: (document): invalid YAML:");
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
