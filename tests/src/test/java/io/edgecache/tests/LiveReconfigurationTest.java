package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.controlplane.ControlPlane;
import io.edgecache.controlplane.xds.NackListener;
import io.edgecache.edge.LocalEdge;
import io.edgecache.edge.config.LocalEdgeConfig;
import io.edgecache.edge.config.XdsSource;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control plane, local-edge as its ADS client and a real ext_proc server, under steady load
 * from a few threads: edits of the YAML file reach the requests without a failed request; an
 * invalid edit is rejected with file, line and field while the old config keeps serving; a
 * resource local-edge cannot apply is NACKed and the old routes keep serving.
 */
class LiveReconfigurationTest {
  private static final int THREADS = 3;
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  @TempDir Path dir;
  Path file;
  String config;
  TestOrigin origin;
  PolicyEchoProcessor processor;
  ControlPlane controlPlane;
  LocalEdge edge;
  final BlockingQueue<ControlPlane.Reload> reloads = new LinkedBlockingQueue<>();
  final BlockingQueue<NackListener.Nack> nacks = new LinkedBlockingQueue<>();
  /** "path policy ttl" → when a load request first saw it. */
  final Map<String, Long> firstSeen = new ConcurrentHashMap<>();
  final AtomicInteger failures = new AtomicInteger();
  final AtomicInteger requests = new AtomicInteger();
  final AtomicBoolean loadRunning = new AtomicBoolean(true);
  ExecutorService load;
  List<Future<?>> loaders;

  @BeforeEach
  void start() throws Exception {
    origin = new TestOrigin();
    for (String path : List.of("/", "/fresh/a")) {
      origin.reply(path, TestOrigin.Reply.text("hello " + path, "cache-control", "max-age=60"));
    }
    processor = new PolicyEchoProcessor();
    file = dir.resolve("control-plane.yaml");
    config = Files.readString(RepoPaths.root().resolve("config/control-plane.yaml"))
        .replaceFirst("(?s)\n# Purge coordination.*", "\n") // the demo's admin port and log
        .replace("127.0.0.1:18080", origin.url().substring("http://".length()))
        .replace("address: 127.0.0.1:50051", "address: 127.0.0.1:" + processor.port());
    Files.writeString(file, config);
    controlPlane = ControlPlane.start(file, new InetSocketAddress("127.0.0.1", 0));
    controlPlane.onReload(reloads::add);
    controlPlane.onNack(nacks::add);
    edge = LocalEdge.start(LocalEdgeConfig.builder()
        .listen("127.0.0.1", 0)
        .extProcTarget("127.0.0.1", processor.port())
        .xds(new XdsSource("127.0.0.1", controlPlane.port(), "edge-test", "edge-gateway", Optional.empty()))
        .build());
    load = Executors.newFixedThreadPool(THREADS);
    loaders = new ArrayList<>();
    for (int i = 0; i < THREADS; i++) {
      loaders.add(load.submit(this::runLoad));
    }
  }

  @AfterEach
  void stop() throws Exception {
    loadRunning.set(false);
    load.shutdown();
    load.awaitTermination(30, TimeUnit.SECONDS);
    edge.close();
    controlPlane.close();
    processor.close();
    origin.close();
  }

  @Test
  void addedRouteAndChangedTtlApplyUnderLoadWithoutFailures() throws Exception {
    awaitSeen("/ demo/default ttl=60");
    awaitSeen("/fresh/a demo/default ttl=60");

    long written = System.nanoTime();
    Files.writeString(file, config
        .replace("defaultTtl: 60s", "defaultTtl: 5s")
        .replace("      - name: default\n", "      - name: fresh\n"
            + "        match: {prefix: /fresh/}\n"
            + "        cluster: demo-origin\n"
            + "        cache: {mode: cache-everything, defaultTtl: 30s}\n"
            + "      - name: default\n"));
    assertTrue(reloads.poll(DEADLINE.toSeconds(), TimeUnit.SECONDS).accepted());
    long route = awaitSeen("/fresh/a demo/fresh ttl=30") - written;
    long ttl = awaitSeen("/ demo/default ttl=5") - written;
    awaitRequests(requests.get() + 100);
    int sent = finishLoad();

    System.out.printf("live reconfiguration: route added visible after %.1f ms, TTL change after %.1f ms"
        + " (file write to first request observing it; %d requests, %d threads)%n",
        route / 1e6, ttl / 1e6, sent, THREADS);
    assertEquals(0, failures.get(), "failed requests");
  }

  @Test
  void invalidEditsAreRejectedWithFileLineAndFieldWhileTrafficFlows() throws Exception {
    awaitSeen("/ demo/default ttl=60");
    // {text, replacement, the text on the line the error must name, the field and message}
    String[][] edits = {
        {"timeout: 15s", "timeout: 15s\n        tiemout: 15s", "tiemout", "sites[0].routes[2].tiemout: unknown field"},
        {"cluster: demo-origin\n        timeout", "cluster: nowhere\n        timeout", "nowhere",
            "sites[0].routes[2].cluster: unknown cluster 'nowhere'"},
        {"{prefix: /admin/}", "{regex: \"/admin/(?!x)\"}", "(?!x)",
            "sites[0].routes[1].match.regex: invalid RE2 regex"},
    };
    for (String[] edit : edits) {
      String edited = config.replace(edit[0], edit[1]);
      Files.writeString(file, edited);
      ControlPlane.Reload reload = reloads.poll(DEADLINE.toSeconds(), TimeUnit.SECONDS);
      assertNotNull(reload, "no reload after the edit");
      assertFalse(reload.accepted());
      assertTrue(reload.error().startsWith(file + ":" + lineOf(edited, edit[2]) + ": " + edit[3]), reload.error());
      assertEquals("1", controlPlane.version());
    }
    int before = requests.get();
    awaitRequests(before + 50);
    assertEquals("1", edge.routes().version());
    assertEquals(0, failures.get(), "failed requests");
  }

  @Test
  void localEdgeNacksWhatItCannotApplyAndKeepsItsRoutes() throws Exception {
    awaitSeen("/ demo/default ttl=60");
    // Valid for Envoy, so the control plane pushes it; local-edge speaks no TLS to origins.
    Files.writeString(file, config.replace("    connectTimeout: 1s\n",
        "    connectTimeout: 1s\n    tls: {sni: origin.example}\n"));
    assertTrue(reloads.poll(DEADLINE.toSeconds(), TimeUnit.SECONDS).accepted());
    NackListener.Nack nack = nacks.poll(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    assertNotNull(nack, "local-edge did not NACK");
    assertEquals("edge-test", nack.nodeId());
    assertEquals("type.googleapis.com/envoy.config.cluster.v3.Cluster", nack.typeUrl());
    assertTrue(nack.message().contains("cluster demo-origin") && nack.message().contains("TLS"), nack.message());
    int before = requests.get();
    awaitRequests(before + 50);
    assertEquals(0, failures.get(), "failed requests");
  }

  /**
   * extProc.tls is for Envoy. local-edge accepts the pushed edgecache_ext_proc cluster with its
   * TLS transport socket (no NACK) and keeps calling the ext_proc server over its own channel
   * (its extProcTarget and tls; plaintext here). The same push adds a route to a cluster that
   * exists only in that cluster response, so the route serving proves the response was ACKed.
   */
  @Test
  void pushedExtProcClusterWithTlsIsAcceptedAndLocalEdgeKeepsItsOwnChannel() throws Exception {
    awaitSeen("/ demo/default ttl=60");
    String originAddress = origin.url().substring("http://".length());
    Files.writeString(file, config
        .replace("  grpcTimeout: 1s\n", "  grpcTimeout: 1s\n  tls: {certFile: /etc/edgecache/tls/tls.crt,"
            + " keyFile: /etc/edgecache/tls/tls.key, caFile: /etc/edgecache/tls/ca.crt, sni: ext-proc}\n")
        .replace("  - name: internal-api\n", "  - name: fresh-origin\n    endpoints: [" + originAddress + "]\n"
            + "  - name: internal-api\n")
        .replace("      - name: default\n", "      - name: fresh\n"
            + "        match: {prefix: /fresh/}\n"
            + "        cluster: fresh-origin\n"
            + "        cache: {mode: cache-everything, defaultTtl: 30s}\n"
            + "      - name: default\n"));
    ControlPlane.Reload reload = reloads.poll(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    assertNotNull(reload, "no reload after the edit");
    assertTrue(reload.accepted(), reload.error());
    awaitSeen("/fresh/a demo/fresh ttl=30");
    awaitRequests(requests.get() + 50);
    assertEquals(List.of(), List.copyOf(nacks), "local-edge NACKed");
    assertEquals(0, failures.get(), "failed requests");
  }

  private void runLoad() {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    String[] paths = {"/", "/fresh/a"};
    for (int i = 0; loadRunning.get() && i < 200_000; i++) {
      String path = paths[i % paths.length];
      try {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + edge.port() + path)).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
        long now = System.nanoTime();
        if (response.statusCode() != 200 || !response.body().equals("hello " + path)) {
          failures.incrementAndGet();
          continue;
        }
        String policy = response.headers().firstValue("x-policy").orElse("none").replaceAll("@.*", "");
        String ttl = response.headers().firstValue("x-policy-ttl").orElse("none");
        firstSeen.putIfAbsent(path + " " + policy + " ttl=" + ttl, now);
        requests.incrementAndGet();
      } catch (Exception e) {
        failures.incrementAndGet();
      }
    }
  }

  /** Polls (with a deadline) until a load request saw {@code observation}; returns when it first did. */
  private long awaitSeen(String observation) {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (System.nanoTime() < deadline) {
      Long seen = firstSeen.get(observation);
      if (seen != null) {
        return seen;
      }
      LockSupport.parkNanos(1_000_000);
    }
    throw new AssertionError("never observed '" + observation + "'; observed " + firstSeen.keySet()
        + ", failures " + failures.get());
  }

  private void awaitRequests(int count) {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (requests.get() < count) {
      assertTrue(System.nanoTime() < deadline, "load stalled at " + requests.get() + " requests");
      LockSupport.parkNanos(1_000_000);
    }
  }

  private int finishLoad() throws Exception {
    loadRunning.set(false);
    for (Future<?> loader : loaders) {
      loader.get(30, TimeUnit.SECONDS);
    }
    return requests.get();
  }

  private static int lineOf(String text, String needle) {
    List<String> lines = text.lines().toList();
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains(needle)) {
        return i + 1;
      }
    }
    throw new AssertionError(needle + " not in the config");
  }
}
