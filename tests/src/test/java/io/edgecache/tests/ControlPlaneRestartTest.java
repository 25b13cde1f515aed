package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.edgecache.extproc.config.ServerConfig;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control plane killed and restarted (in-process, on the same ports and purge log) while
 * cache nodes serve load through local-edges that take their routes from it over ADS: within the
 * purge-stream grace the nodes keep serving hits (marked {@code detail=purge-stream-down}), no
 * request fails, and both the purge streams and the ADS streams follow the restarted control
 * plane within 2 s. And one node's link cut while the control plane runs: a purge submitted
 * meanwhile is applied when it reconnects, and past the grace it serves no hit until then.
 */
class ControlPlaneRestartTest {

  private static final int ITEMS = 20;
  private static final int THREADS = 3;
  private static final Duration DOWN = Duration.ofSeconds(3);
  private static final Duration PHASE = Duration.ofSeconds(2);
  private static final Duration RECONNECT_BOUND = Duration.ofSeconds(2);
  private static final Pattern XDS_STREAMS =
      Pattern.compile("(?m)^edgecache_xds_streams(?:\\{[^}]*})? (\\S+)$");

  @TempDir Path dir;

  private TestOrigin origin;
  private PurgeCluster cluster;
  private CuttableRelay relay;
  private final List<AdsFollowingNode> nodes = new ArrayList<>();
  private final HttpClient client = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  /** One load request: when it started, whether it failed, whether it was a hit and its detail. */
  private record Sample(long startNanos, boolean failed, boolean hit, boolean onGrace) {}

  @BeforeEach
  void start() throws Exception {
    origin = new TestOrigin();
    for (int i = 0; i < ITEMS; i++) {
      origin.reply("/item/" + i, TestOrigin.Reply.text("item " + i,
          "cache-control", "max-age=600", "surrogate-key", "item-" + i));
    }
    cluster = PurgeCluster.routingTo(dir, origin.url().substring("http://".length()));
  }

  @AfterEach
  void stop() throws Exception {
    for (AdsFollowingNode node : nodes) {
      node.close();
    }
    if (relay != null) {
      relay.close();
    }
    cluster.close();
    origin.close();
  }

  @Test
  void controlPlaneRestartUnderLoadFailsNoRequestKeepsTheHitRatioAndIsFollowedWithin2s()
      throws Exception {
    for (int i = 1; i <= 2; i++) {
      nodes.add(new AdsFollowingNode(cluster.nodeConfig("node-" + i), cluster.xdsPort, "edge-" + i));
    }
    for (AdsFollowingNode node : nodes) {
      awaitState(node, "following", Duration.ofSeconds(20));
      for (int i = 0; i < ITEMS; i++) {
        get(node, "/item/" + i);
      }
    }
    Queue<Sample> samples = new ConcurrentLinkedQueue<>();
    AtomicBoolean running = new AtomicBoolean(true);
    ExecutorService load = Executors.newFixedThreadPool(THREADS);
    List<Future<?>> loaders = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int thread = t;
      loaders.add(load.submit(() -> runLoad(thread, running, samples)));
    }
    try {
      long loadStart = System.nanoTime();
      int originBefore = originRequests();
      sleepFor(PHASE); // the "before" window: load runs, nothing else happens

      long killed = System.nanoTime();
      cluster.stop();
      int originAtKill = originRequests();
      awaitState(nodes.get(0), "grace", Duration.ofSeconds(5));
      sleepFor(DOWN);
      long restarted = System.nanoTime();
      int originAtRestart = originRequests();
      cluster.start();
      long listening = System.nanoTime();
      Poll.until("both purge streams and both ADS streams back", RECONNECT_BOUND.plusSeconds(10), () ->
          nodes.stream().allMatch(n -> purgeStream(n).equals("following"))
              && xdsStreams() >= 2);
      long reconnected = System.nanoTime();
      sleepFor(PHASE); // the "after" window
      long end = System.nanoTime();
      running.set(false);
      for (Future<?> loader : loaders) {
        loader.get(30, TimeUnit.SECONDS);
      }
      int originAtEnd = originRequests();

      Window before = Window.of(samples, loadStart, killed);
      Window during = Window.of(samples, killed, restarted);
      Window after = Window.of(samples, reconnected, end);
      long failed = samples.stream().filter(Sample::failed).count();
      double startMs = (listening - restarted) / 1e6;
      double reconnectMs = (reconnected - listening) / 1e6;
      System.out.printf("control-plane restart under load (%d threads, 2 nodes, grace 30 s, down %d s):"
              + " %d requests, %d failed; hit ratio before %.4f (%d), during %.4f (%d, %d marked"
              + " purge-stream-down), after %.4f (%d); origin requests before/during/after %d/%d/%d;"
              + " control plane listening %.0f ms after the restart began, purge and ADS streams"
              + " reconnected %.0f ms after that%n",
          THREADS, DOWN.toSeconds(), samples.size(), failed, before.hitRatio(), before.count,
          during.hitRatio(), during.count, during.onGrace, after.hitRatio(), after.count,
          originAtKill - originBefore, originAtRestart - originAtKill, originAtEnd - originAtRestart,
          startMs, reconnectMs);

      assertEquals(0, failed, "failed requests");
      assertTrue(before.count > 0 && during.count > 0 && after.count > 0, "load in every window");
      assertEquals(1.0, during.hitRatio(), 0.0, "every request while the control plane is down is a hit");
      assertTrue(during.onGrace > 0, "hits on grace say so in Cache-Status");
      assertEquals(before.hitRatio(), after.hitRatio(), 0.0, "hit ratio after the restart");
      assertEquals(0, originAtRestart - originAtKill, "the origin saw nothing while it was down");
      assertTrue(reconnectMs <= RECONNECT_BOUND.toMillis(),
          "reconnected " + reconnectMs + " ms after the control plane was listening again");
    } finally {
      running.set(false);
      load.shutdownNow();
      load.awaitTermination(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void purgeSubmittedWhileANodesLinkIsDownIsAppliedOnReconnectAndPastTheGraceNoHitIsServed()
      throws Exception {
    Duration grace = Duration.ofSeconds(3);
    relay = new CuttableRelay(cluster.xdsPort);
    AdsFollowingNode steady = new AdsFollowingNode(
        cluster.nodeConfig("node-1"), cluster.xdsPort, "edge-1");
    ServerConfig linked = PurgeCluster.nodeConfig(relay.port(), "node-2");
    AdsFollowingNode cut = new AdsFollowingNode(
        linked.withPurge(linked.purge().withStaleGrace(grace)), cluster.xdsPort, "edge-2");
    nodes.add(steady);
    nodes.add(cut);
    for (AdsFollowingNode node : nodes) {
      awaitState(node, "following", Duration.ofSeconds(20));
      get(node, "/item/1");
      get(node, "/item/2");
      assertTrue(cacheStatus(get(node, "/item/1")).contains("; hit"));
    }

    relay.cut();
    awaitState(cut, "grace", Duration.ofSeconds(5));
    String onGrace = cacheStatus(get(cut, "/item/2"));
    assertTrue(onGrace.contains("; hit") && onGrace.contains("detail=purge-stream-down"), onGrace);
    PurgeAdminClient admin = cluster.admin();
    String id = admin.purge(PurgeCluster.ADMIN, "{\"kind\":\"TAG\",\"value\":\"item-1\"}");
    admin.awaitComplete(PurgeCluster.ADMIN, id, Duration.ofSeconds(20)); // node-1 acked
    assertFalse(cacheStatus(get(steady, "/item/1")).contains("; hit"), "purged on node-1");

    awaitState(cut, "closed", grace.plusSeconds(5));
    String pastGrace = cacheStatus(get(cut, "/item/2"));
    assertFalse(pastGrace.contains("; hit"), pastGrace);
    assertTrue(pastGrace.contains("detail=purge-replay"), pastGrace);

    relay.restore();
    awaitState(cut, "following", RECONNECT_BOUND.plusSeconds(3));
    HttpResponse<String> purged = get(cut, "/item/1");
    assertFalse(cacheStatus(purged).contains("; hit"), "the purge was replayed: " + cacheStatus(purged));
    assertEquals("item 1", purged.body());
    assertTrue(cacheStatus(get(cut, "/item/2")).contains("; hit"), "not purged: served again");
    // node-2 acks after applying: the ack may still be on its way when the node already serves.
    admin.await(PurgeCluster.ADMIN, id, 2, Duration.ofSeconds(10));
    JsonNode status = admin.get("/purges/" + id, PurgeCluster.ADMIN).body();
    List<String> acked = new ArrayList<>();
    status.get("ackedNodes").forEach(node -> acked.add(node.asText()));
    assertTrue(acked.contains("node-2"), "node-2 acked the replayed purge: " + status);
  }

  /** Hits and load-request counts of the samples that started in [from, to). */
  private record Window(int count, int hits, int onGrace) {
    static Window of(Queue<Sample> samples, long from, long to) {
      int count = 0;
      int hits = 0;
      int onGrace = 0;
      for (Sample sample : samples) {
        if (sample.startNanos() >= from && sample.startNanos() < to && !sample.failed()) {
          count++;
          hits += sample.hit() ? 1 : 0;
          onGrace += sample.onGrace() ? 1 : 0;
        }
      }
      return new Window(count, hits, onGrace);
    }

    double hitRatio() {
      return count == 0 ? 0 : (double) hits / count;
    }
  }

  private void runLoad(int thread, AtomicBoolean running, Queue<Sample> samples) {
    for (int i = thread; running.get(); i++) {
      AdsFollowingNode node = nodes.get(i % nodes.size());
      int item = (i / nodes.size()) % ITEMS;
      long started = System.nanoTime();
      try {
        HttpResponse<String> response = get(node, "/item/" + item);
        String status = cacheStatus(response);
        boolean ok = response.statusCode() == 200 && response.body().equals("item " + item);
        samples.add(new Sample(started, !ok, status.contains("; hit"),
            status.contains("detail=purge-stream-down")));
      } catch (Exception e) {
        samples.add(new Sample(started, true, false, false));
      }
    }
  }

  private HttpResponse<String> get(AdsFollowingNode node, String path) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create(node.url(path)))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String cacheStatus(HttpResponse<?> response) {
    return response.headers().firstValue("cache-status").orElse("");
  }

  private int originRequests() {
    int total = 0;
    for (int i = 0; i < ITEMS; i++) {
      total += origin.count("/item/" + i);
    }
    return total;
  }

  /** ADS streams open on the control plane, read from its Prometheus text as a scraper would. */
  private long xdsStreams() {
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    try {
      cluster.controlPlane.metrics().writePrometheus(text);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    Matcher m = XDS_STREAMS.matcher(text.toString(StandardCharsets.UTF_8));
    return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
  }

  private static void awaitState(AdsFollowingNode node, String state, Duration within)
      throws InterruptedException {
    Poll.until("node in state " + state, within, () -> purgeStream(node).equals(state));
  }

  /** The node's purge-stream state as its /stats shows it: following, grace or closed. */
  private static String purgeStream(AdsFollowingNode node) {
    return AdminStats.of(node.server).path("purge").path("stream").asText();
  }

  /** Lets the load run for {@code span}: a measurement window, not synchronisation. */
  private static void sleepFor(Duration span) throws InterruptedException {
    Thread.sleep(span.toMillis());
  }
}
