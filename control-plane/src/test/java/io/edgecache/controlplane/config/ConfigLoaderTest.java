package io.edgecache.controlplane.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.config.ConfigException;
import io.edgecache.controlplane.config.EdgecacheConfig.CacheMode;
import io.edgecache.http.UnkeyedRequestHeaders;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  static final Path SAMPLE = io.edgecache.controlplane.SampleConfig.PATH;

  private static final String BODY_ENDPOINT = "  bodyEndpoint: 127.0.0.1:50052\n";

  @TempDir Path dir;

  @Test
  void sampleConfigLoads() throws Exception {
    EdgecacheConfig config = ConfigLoader.load(SAMPLE);
    assertEquals(2, config.nodeGroups().size());
    EdgecacheConfig.Route route = config.sites().get(0).routes().get(2);
    assertEquals("demo/default", route.policyId());
    assertEquals(CacheMode.RESPECT_ORIGIN, route.cache().mode());
    assertEquals(Duration.ofSeconds(60), route.cache().defaultTtl().orElseThrow());
  }

  @Test
  void composeConfigLoads() throws Exception {
    EdgecacheConfig config = ConfigLoader.load(Path.of("..", "envoy", "compose", "control-plane.yaml"));
    assertEquals("ext-proc", config.extProc().address().host());
  }

  @Test
  void unknownFieldNamesFileLineAndField() throws Exception {
    Path file = edited("        timeout: 15s\n", "        timeout: 15s\n        tiemout: 15s\n");
    String message = rejection(file);
    assertTrue(message.startsWith(file + ":" + lineOf(file, "tiemout") + ": sites[0].routes[2].tiemout: unknown field"), message);
  }

  @Test
  void routeToUnknownClusterNamesFileLineAndField() throws Exception {
    Path file = edited("        cluster: demo-origin\n        timeout: 15s", "        cluster: demo-orign\n        timeout: 15s");
    String message = rejection(file);
    assertTrue(message.startsWith(file + ":" + lineOf(file, "demo-orign") + ": sites[0].routes[2].cluster: unknown cluster 'demo-orign'"), message);
  }

  @Test
  void regexRe2RejectsNamesFileLineAndField() throws Exception {
    // Lookahead is valid java.util.regex but not RE2, which Envoy uses.
    Path file = edited("{regex: \"/assets/", "{regex: \"/(?=x)assets/");
    String message = rejection(file);
    assertTrue(message.startsWith(file + ":" + lineOf(file, "(?=x)") + ": sites[0].routes[0].match.regex: invalid RE2 regex"), message);
  }

  @Test
  void duplicateNamesAreRejected() throws Exception {
    Path file = edited("  - name: internal-api\n", "  - name: demo-origin # duplicate\n");
    String message = rejection(file);
    assertTrue(message.startsWith(file + ":" + lineOf(file, "# duplicate") + ": clusters[1]: duplicate cluster name 'demo-origin'"), message);
  }

  @Test
  void badValuesNameTheirField() throws Exception {
    assertTrue(rejection(edited("defaultTtl: 60s", "defaultTtl: sixty")).contains(
        "sites[0].routes[2].cache.defaultTtl: expected a positive duration"));
    assertTrue(rejection(edited("mode: bypass", "mode: skip")).contains(
        "sites[0].routes[1].cache.mode: expected one of respect-origin, cache-everything, bypass"));
    assertTrue(rejection(edited("sites: [demo]", "sites: [dmo]")).contains(
        "listeners[0].sites[0]: unknown site 'dmo'"));
    assertTrue(rejection(edited("[127.0.0.1:18080]", "[origin.local:18080]")).contains(
        "clusters[0].endpoints[0]: a static cluster's endpoints must be IP addresses"));
  }

  @Test
  void poisoningDefencesDefaultToTheNodesSafeValues() throws Exception {
    EdgecacheConfig.CachePolicy cache = ConfigLoader.load(SAMPLE).sites().get(0).routes().get(2).cache();
    assertFalse(cache.cacheEverythingWithCredentials());
    assertFalse(cache.storeResponsesToCookieRequests());
    assertEquals(UnkeyedRequestHeaders.DEFAULT_STRIP, cache.stripHeaders());
    assertFalse(cache.forwardExcludedQuery());
    assertFalse(cache.storeSetCookie());
  }

  @Test
  void poisoningDefencesAreRead() throws Exception {
    EdgecacheConfig.CachePolicy cache = ConfigLoader.load(edited("shareResponsesWithSetCookie: false}",
        "shareResponsesWithSetCookie: false, cacheEverythingWithCredentials: true,"
            + " storeResponsesToCookieRequests: true, stripHeaders: [X-Forwarded-Host, x-tenant%],"
            + " forwardExcludedQuery: true}")).sites().get(0).routes().get(2).cache();
    assertTrue(cache.cacheEverythingWithCredentials());
    assertTrue(cache.storeResponsesToCookieRequests());
    assertEquals(List.of("x-forwarded-host", "x-tenant%"), cache.stripHeaders());
    assertTrue(cache.forwardExcludedQuery());
  }

  @Test
  void badPoisoningDefenceNamesFileLineAndField() throws Exception {
    Path flag = edited("shareResponsesWithSetCookie: false}",
        "shareResponsesWithSetCookie: false,\n          storeResponsesToCookieRequests: yes-please}");
    String message = rejection(flag);
    assertTrue(message.startsWith(flag + ":" + lineOf(flag, "yes-please")
        + ": sites[0].routes[2].cache.storeResponsesToCookieRequests: expected true or false, got 'yes-please'"),
        message);

    Path header = edited("shareResponsesWithSetCookie: false}",
        "shareResponsesWithSetCookie: false,\n          stripHeaders: [x-host, \"x forwarded\"]}");
    String headerMessage = rejection(header);
    assertTrue(headerMessage.startsWith(header + ":" + lineOf(header, "x forwarded")
        + ": sites[0].routes[2].cache.stripHeaders[1]: 'x forwarded' is not a header field name"), headerMessage);
  }

  @Test
  void storeSetCookieIsReadWithSharingAndRejectedWithout() throws Exception {
    EdgecacheConfig.CachePolicy cache = ConfigLoader.load(edited("shareResponsesWithSetCookie: false}",
        "shareResponsesWithSetCookie: true, storeSetCookie: true}")).sites().get(0).routes().get(2).cache();
    assertTrue(cache.shareResponsesWithSetCookie());
    assertTrue(cache.storeSetCookie());

    Path alone = edited("shareResponsesWithSetCookie: false}",
        "shareResponsesWithSetCookie: false,\n          storeSetCookie: true}");
    String message = rejection(alone);
    assertTrue(message.startsWith(alone + ":" + lineOf(alone, "storeSetCookie: true}")
        + ": sites[0].routes[2].cache.storeSetCookie: needs shareResponsesWithSetCookie: true"), message);
  }

  /**
   * Must show 3 (issue 17): ExternalProcessor.message_timeout carries
   * {@code (validate.rules).duration = {lte {seconds: 3600} gte {}}}, so Envoy NACKs a listener
   * with 2h; the loader checks the generated filter with the protos' own rules and rejects it
   * with its file, line and field.
   */
  @Test
  void whatEnvoysValidationRulesRejectNamesFileLineAndField() throws Exception {
    Path file = edited("messageTimeout: 0.2s", "messageTimeout: 2h");
    String message = rejection(file);
    assertTrue(message.startsWith(file + ":" + lineOf(file, "messageTimeout: 2h")
        + ": extProc.messageTimeout: Envoy would reject the generated ExternalProcessor: message_timeout: 7200s"
        + " must be at most 3600s"), message);

    String maxTimeout = rejection(edited("maxMessageTimeout: 5s", "maxMessageTimeout: 2d"));
    assertTrue(maxTimeout.contains("extProc.maxMessageTimeout: Envoy would reject the generated ExternalProcessor:"
        + " max_message_timeout: 172800s must be at most 3600s"), maxTimeout);
  }

  @Test
  void extProcTlsNamesEnvoysFiles() throws Exception {
    EdgecacheConfig config = ConfigLoader.load(edited(BODY_ENDPOINT, BODY_ENDPOINT
        + "  tls: {certFile: /etc/edgecache/tls/tls.crt, keyFile: /etc/edgecache/tls/tls.key,"
        + " caFile: /etc/edgecache/tls/ca.crt, sni: ext-proc}\n"));
    assertEquals(new EdgecacheConfig.ExtProcTls("/etc/edgecache/tls/tls.crt", "/etc/edgecache/tls/tls.key",
        "/etc/edgecache/tls/ca.crt", Optional.of("ext-proc")), config.extProc().tls().orElseThrow());
    assertEquals(Optional.empty(), ConfigLoader.load(SAMPLE).extProc().tls());
  }

  @Test
  void extProcTlsMissingOrRelativeFileNamesFileLineAndField() throws Exception {
    Path missing = edited(BODY_ENDPOINT, BODY_ENDPOINT
        + "  tls: {certFile: /etc/edgecache/tls/tls.crt, caFile: /etc/edgecache/tls/ca.crt}\n");
    String message = rejection(missing);
    assertTrue(message.startsWith(missing + ":" + lineOf(missing, "tls: {") + ": extProc.tls.keyFile: required"),
        message);

    Path relative = edited(BODY_ENDPOINT, BODY_ENDPOINT + "  tls:\n    certFile: /etc/edgecache/tls/tls.crt\n"
        + "    keyFile: tls/tls.key\n    caFile: /etc/edgecache/tls/ca.crt\n");
    message = rejection(relative);
    assertTrue(message.startsWith(relative + ":" + lineOf(relative, "keyFile: tls/tls.key")
        + ": extProc.tls.keyFile: must be an absolute path on the Envoy host, got 'tls/tls.key'"), message);
  }

  @Test
  void directoryConcatenatesFiles() throws Exception {
    String sample = Files.readString(SAMPLE);
    int sites = sample.indexOf("\nsites:");
    Files.writeString(dir.resolve("a-base.yaml"), sample.substring(0, sites));
    Files.writeString(dir.resolve("b-sites.yml"), sample.substring(sites));
    Files.writeString(dir.resolve("notes.txt"), "ignored");
    EdgecacheConfig config = ConfigLoader.load(dir);
    assertEquals(2, config.clusters().size());
    assertEquals(2, config.sites().size());
  }

  /**
   * A Kubernetes component adds a tls.yaml beside the overlay's file: extProc.tls joins the
   * overlay's extProc section; an extProc field set in both files is refused naming both places.
   */
  @Test
  void extProcFieldsMaySpreadOverTheDirectoryEachInOneFile() throws Exception {
    Files.copy(SAMPLE, dir.resolve("control-plane.yaml"));
    Path tls = Files.writeString(dir.resolve("tls.yaml"), """
        extProc:
          tls: {certFile: /etc/edgecache/tls/tls.crt, keyFile: /etc/edgecache/tls/tls.key,
                caFile: /etc/edgecache/tls/ca.crt, sni: edgecache-ext-proc}
        """);
    EdgecacheConfig config = ConfigLoader.load(dir);
    assertEquals(Optional.of("edgecache-ext-proc"), config.extProc().tls().orElseThrow().sni());
    assertEquals(ConfigLoader.load(SAMPLE).extProc().address(), config.extProc().address());

    Files.writeString(tls, "extProc:\n  messageTimeout: 1s\n");
    Path sample = dir.resolve("control-plane.yaml");
    assertEquals(tls + ":2: extProc.messageTimeout: already defined at " + sample + ":"
        + lineOf(sample, "messageTimeout: 0.2s") + "; a field may be set in one file of the"
        + " directory only", rejection(dir));
  }

  @Test
  void durationsReadAsInTheOtherProcessesAndBadOnesNameFileLineAndField() throws Exception {
    Duration half = ConfigLoader.load(edited("messageTimeout: 0.2s", "messageTimeout: 0.5s"))
        .extProc().messageTimeout();
    assertEquals(Duration.ofMillis(500), half);
    assertEquals(half, ConfigLoader.load(edited("messageTimeout: 0.2s", "messageTimeout: 500ms"))
        .extProc().messageTimeout());
    Path file = edited("messageTimeout: 0.2s", "messageTimeout: soon");
    assertEquals(file + ":" + lineOf(file, "messageTimeout: soon") + ": extProc.messageTimeout:"
        + " expected a positive duration like 500ms, 0.5s, 15s, 5m, 1h or 1d, got 'soon'", rejection(file));
  }

  /** The defaults README's configuration reference documents, for every field left out. */
  @Test
  void omittedFieldsTakeTheDocumentedDefaults() throws Exception {
    Path file = dir.resolve("minimal.yaml");
    Files.writeString(file, """
        extProc: {address: 127.0.0.1:50051}
        clusters:
          - name: origin
            endpoints: [127.0.0.1:18080]
            healthCheck: {path: /healthz}
        sites:
          - {name: site, domains: ["*"], routes: [{name: all, match: {prefix: /}, cluster: origin}]}
        listeners:
          - {name: edge, address: 0.0.0.0:10000, sites: [site]}
        nodeGroups:
          - {name: group, listeners: [edge]}
        """);
    EdgecacheConfig config = ConfigLoader.load(file);
    EdgecacheConfig.ExtProc extProc = config.extProc();
    assertTrue(extProc.failureModeAllow());
    assertEquals(List.of(Duration.ofMillis(200), Duration.ofSeconds(5), Duration.ofSeconds(1)),
        List.of(extProc.messageTimeout(), extProc.maxMessageTimeout(), extProc.grpcTimeout()));
    EdgecacheConfig.ClusterSpec cluster = config.clusters().get(0);
    assertEquals(EdgecacheConfig.DiscoveryType.STATIC, cluster.type());
    assertEquals(EdgecacheConfig.LbPolicy.ROUND_ROBIN, cluster.lbPolicy());
    assertEquals(Duration.ofSeconds(1), cluster.connectTimeout());
    assertEquals(new EdgecacheConfig.HealthCheck("/healthz", Duration.ofSeconds(5), Duration.ofSeconds(1), 2, 3),
        cluster.healthCheck().orElseThrow());
    EdgecacheConfig.Route route = config.sites().get(0).routes().get(0);
    assertEquals(Duration.ofSeconds(15), route.timeout());
    assertEquals(EdgecacheConfig.CachePolicy.DEFAULT, route.cache());
    assertEquals(io.edgecache.http.EscapedSlashes.REJECT, config.listeners().get(0).escapedSlashes());
  }

  private Path edited(String from, String to) throws IOException {
    String sample = Files.readString(SAMPLE);
    assertTrue(sample.contains(from), "sample config no longer contains: " + from);
    Path file = dir.resolve("control-plane.yaml");
    Files.writeString(file, sample.replaceFirst(java.util.regex.Pattern.quote(from),
        java.util.regex.Matcher.quoteReplacement(to)));
    return file;
  }

  /** The 1-based line of the first line containing {@code text}. */
  private static int lineOf(Path file, String text) throws IOException {
    java.util.List<String> lines = Files.readAllLines(file);
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains(text)) {
        return i + 1;
      }
    }
    throw new AssertionError(text + " not in " + file);
  }

  private static String rejection(Path file) {
    return assertThrows(ConfigException.class, () -> ConfigLoader.load(file)).getMessage();
  }
}
