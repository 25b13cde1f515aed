package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.config.TiersConfig;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Purges coordinated across three cache nodes (each an ext_proc server behind its own
 * local-edge) by a real control plane, submitted through its REST admin API.
 */
class PurgeEndToEndTest {

  private static final String SITE = "shop.example";
  private static final Duration WITHIN = Duration.ofSeconds(20);

  @TempDir
  Path dir;

  private TestOrigin origin;
  private PurgeCluster cluster;
  private PurgeAdminClient admin;
  private final List<EdgeStack> nodes = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    origin = new TestOrigin();
    cluster = new PurgeCluster(dir);
    admin = cluster.admin();
    for (int i = 1; i <= 3; i++) {
      nodes.add(startNode(cluster.nodeConfig("node-" + i)));
    }
    origin.reply("/product/1", TestOrigin.Reply.text("p1", "cache-control", "max-age=600",
        "surrogate-key", "product-1 catalog"));
    origin.reply("/product/2", TestOrigin.Reply.text("p2", "cache-control", "max-age=600",
        "cache-tag", "product-2,catalog"));
    origin.reply("/about", TestOrigin.Reply.text("about", "cache-control", "max-age=600"));
  }

  @AfterEach
  void stop() throws Exception {
    for (EdgeStack node : nodes) {
      node.close();
    }
    cluster.close();
    origin.close();
  }

  @Test
  void tagPurgeReachesEveryNodeWhichMissesTheTaggedUrlsAndKeepsTheOthers() throws Exception {
    fillEveryNode("/product/1", "/product/2", "/about");

    String id = admin.purge(PurgeCluster.ADMIN, "{\"kind\":\"TAG\",\"value\":\"product-1\"}");
    JsonNode status = admin.awaitComplete(PurgeCluster.ADMIN, id, WITHIN);
    assertEquals(Set.of("node-1", "node-2", "node-3"), names(status.get("ackedNodes")));
    assertEquals(0, status.get("pendingNodes").size());

    for (EdgeStack node : nodes) {
      assertMiss(get(node, "/product/1"));
      assertHit(get(node, "/product/2"));
      assertHit(get(node, "/about"));
    }
    assertEquals(3 + 3, origin.count("/product/1"), "each node fetched it again once");
    JsonNode stats = new ObjectMapper().readTree(java.net.URI.create(
        "http://127.0.0.1:" + nodes.get(0).server.adminPort() + "/stats").toURL());
    assertEquals(status.get("seq").asLong(), stats.at("/purge/lastAppliedSeq").asLong(), stats.toString());
    assertTrue(stats.at("/purge/servingHits").asBoolean());

    // The Cache-Tag field works the same; both fields' tags are one namespace.
    admin.awaitComplete(PurgeCluster.ADMIN,
        admin.purge(PurgeCluster.ADMIN, "{\"kind\":\"TAG\",\"value\":\"catalog\"}"), WITHIN);
    for (EdgeStack node : nodes) {
      assertMiss(get(node, "/product/2"));
      assertHit(get(node, "/about"));
    }
  }

  @Test
  void urlPrefixAndHostPurges() throws Exception {
    origin.reply("/product/10", TestOrigin.Reply.text("p10", "cache-control", "max-age=600"));
    fillEveryNode("/product/1", "/product/10", "/product/2", "/about");

    purgeAndWait("{\"kind\":\"URL\",\"value\":\"http://" + SITE + "/product/1\"}");
    for (EdgeStack node : nodes) {
      assertMiss(get(node, "/product/1"));
      assertHit(get(node, "/product/10")); // a URL purge is exact, not a prefix
    }
    purgeAndWait("{\"kind\":\"PREFIX\",\"value\":\"http://" + SITE + "/product/\"}");
    for (EdgeStack node : nodes) {
      assertMiss(get(node, "/product/10"));
      assertMiss(get(node, "/product/2"));
      assertHit(get(node, "/about"));
    }
    purgeAndWait("{\"kind\":\"HOST\",\"value\":\"" + SITE + "\"}");
    for (EdgeStack node : nodes) {
      assertMiss(get(node, "/about"));
    }
  }

  @Test
  void softPurgeMarksStaleSoStaleWhileRevalidateStillServes() throws Exception {
    origin.reply("/soft", TestOrigin.Reply.text("v1", "cache-control",
        "max-age=600, stale-while-revalidate=60", "surrogate-key", "soft", "etag", "\"v1\""));
    fillEveryNode("/soft");
    origin.reply("/soft", TestOrigin.Reply.text("v2", "cache-control",
        "max-age=600, stale-while-revalidate=60", "surrogate-key", "soft", "etag", "\"v2\""));

    purgeAndWait("{\"kind\":\"TAG\",\"value\":\"soft\",\"soft\":true}");
    for (EdgeStack node : nodes) {
      HttpResponse<String> stale = get(node, "/soft");
      assertEquals("v1", stale.body(), "a soft purge keeps the entry");
      assertTrue(cacheStatus(stale).contains("detail=stale-while-revalidate"), cacheStatus(stale));
    }
    for (EdgeStack node : nodes) {
      awaitBody(node, "/soft", "v2"); // the background refresh replaced it
    }
  }

  @Test
  void nodeStoppedDuringAPurgeNeverServesThePurgedObjectAfterRestart() throws Exception {
    // node-3 keeps entries on disk, so they outlive its restart.
    nodes.get(2).close();
    ServerConfig withDisk = cluster.nodeConfig("node-3").withTiers(TiersConfig.defaults()
        .withLookupWait(Duration.ofSeconds(2))
        .withDisk(new TiersConfig.Disk(true, dir.resolve("node-3-disk"), 1L << 30,
            Duration.ofSeconds(2))));
    nodes.set(2, startNode(withDisk));
    fillEveryNode("/product/1", "/product/2");
    awaitOnDisk(nodes.get(2), "/product/1", "/product/2");

    nodes.get(2).close();
    String id = admin.purge(PurgeCluster.ADMIN, "{\"kind\":\"TAG\",\"value\":\"product-1\"}");
    JsonNode status = admin.awaitComplete(PurgeCluster.ADMIN, id, WITHIN);
    assertEquals(Set.of("node-1", "node-2"), names(status.get("ackedNodes")), "node-3 is not live");

    EdgeStack restarted = startNode(withDisk);
    nodes.set(2, restarted);
    // Not even before replay: until it caught up it answers nothing from its cache.
    HttpResponse<String> first = get(restarted, "/product/1");
    assertMiss(first);
    assertEquals("p1", first.body());
    PurgeCluster.awaitServingHits(restarted);
    assertHit(get(restarted, "/product/2")); // read back from disk: not purged
    assertTrue(names(admin.get("/purges/" + id, PurgeCluster.ADMIN).body().get("ackedNodes"))
        .contains("node-3"), "the restarted node acked the replayed purge");
  }

  @Test
  void controlPlaneRestartedBetweenSubmitAndAckLosesNoPurge() throws Exception {
    fillEveryNode("/product/1", "/product/2");
    String id = admin.purge(PurgeCluster.ADMIN, "{\"kind\":\"TAG\",\"value\":\"product-1\"}");
    cluster.stop(); // at once: the nodes may or may not have received it
    cluster.start();

    JsonNode status = admin.await(PurgeCluster.ADMIN, id, 3, WITHIN); // as the nodes reconnect
    assertEquals(Set.of("node-1", "node-2", "node-3"), names(status.get("ackedNodes")));
    for (EdgeStack node : nodes) {
      PurgeCluster.awaitServingHits(node);
      assertMiss(get(node, "/product/1"));
      assertHit(get(node, "/product/2"));
    }
  }

  @Test
  void badRequestsAreRefusedWithAMessageAndPurgeNothing() throws Exception {
    fillEveryNode("/product/1");
    String purge = "{\"kind\":\"TAG\",\"value\":\"product-1\"}";

    assertRefused(admin.post("/purges", null, purge), 401, "Authorization");
    assertRefused(admin.post("/purges", "not-a-known-token-at-all", purge), 401, "unknown token");
    assertRefused(admin.post("/purges", PurgeCluster.TENANT,
        "{\"kind\":\"URL\",\"value\":\"http://" + SITE + "/product/1\"}"), 403, SITE);
    assertRefused(admin.post("/purges", PurgeCluster.TENANT, "{\"kind\":\"ALL\"}"), 403, "unscoped");
    assertRefused(admin.post("/purges", PurgeCluster.TENANT, purge), 403, "unscoped");
    assertRefused(admin.post("/purges", PurgeCluster.ADMIN, "{\"value\":\"product-1\"}"), 400, "kind");
    assertRefused(admin.post("/purges", PurgeCluster.ADMIN, "{\"kind\":\"URL\",\"value\":\"/relative\"}"),
        400, "value");
    assertRefused(admin.post("/purges", PurgeCluster.ADMIN, "{\"kind\":\"TAG\",\"valeu\":\"x\"}"), 400,
        "valeu");
    assertRefused(admin.post("/purges", PurgeCluster.ADMIN, "{not json"), 400, "body");

    assertEquals(0, admin.get("/purges", PurgeCluster.ADMIN).body().path("purges").size(), "nothing logged");
    for (EdgeStack node : nodes) {
      assertHit(get(node, "/product/1"));
    }
    // The tenant's own host is fine.
    admin.awaitComplete(PurgeCluster.TENANT, admin.purge(PurgeCluster.TENANT,
        "{\"kind\":\"HOST\",\"value\":\"tenant.example\"}"), WITHIN);
  }

  @Test
  void httpPurgeAtTheEdgeGoesThroughTheControlPlaneToEveryNode() throws Exception {
    fillEveryNode("/product/1", "/product/2");
    EdgeStack edge = nodes.get(0);

    HttpResponse<String> anonymous = edge.send("PURGE", "/product/1", "host", SITE);
    assertEquals(401, anonymous.statusCode(), anonymous.body());
    // answered by the node itself (the control plane's refusal carries no challenge)
    assertEquals("Bearer", anonymous.headers().firstValue("www-authenticate").orElse(""));
    HttpResponse<String> tenant = edge.send("PURGE", "/product/1", "host", SITE,
        "authorization", "Bearer " + PurgeCluster.TENANT);
    assertEquals(403, tenant.statusCode(), tenant.body());
    assertTrue(tenant.body().contains(SITE), tenant.body());
    for (EdgeStack node : nodes) {
      assertHit(get(node, "/product/1"));
    }

    HttpResponse<String> accepted = edge.send("PURGE", "/product/1", "host", SITE,
        "authorization", "Bearer " + PurgeCluster.ADMIN);
    assertEquals(200, accepted.statusCode(), accepted.body());
    String id = new ObjectMapper().readTree(accepted.body()).get("purgeId").asText();
    admin.awaitComplete(PurgeCluster.ADMIN, id, WITHIN);
    for (EdgeStack node : nodes) {
      assertMiss(get(node, "/product/1"));
      assertHit(get(node, "/product/2"));
    }
  }

  @Test
  void warmingPrefetchesThroughTheEdgeAndReportsProgress() throws Exception {
    EdgeStack edge = nodes.get(0);
    cluster.stop();
    cluster.configure("edge: http://127.0.0.1:" + edge.edge.port());
    cluster.start();

    PurgeAdminClient.Reply started = admin.post("/warm", PurgeCluster.ADMIN,
        "{\"urls\":[\"http://" + SITE + "/product/1\",\"http://" + SITE + "/about\"]}");
    assertEquals(202, started.status(), started.body().toString());
    String id = started.body().get("warmId").asText();
    long deadline = System.nanoTime() + WITHIN.toNanos();
    JsonNode progress;
    do {
      assertTrue(System.nanoTime() < deadline, "warming never completed");
      Thread.sleep(5); // polling the progress the API reports
      progress = admin.get("/warm/" + id, PurgeCluster.ADMIN).body();
    } while (!progress.path("complete").asBoolean());
    assertEquals(2, progress.get("done").asInt(), progress.toString());
    assertEquals(0, progress.get("failed").asInt(), progress.toString());

    PurgeCluster.awaitServingHits(edge);
    assertHit(get(edge, "/product/1"));
    assertHit(get(edge, "/about"));
    assertEquals(1, origin.count("/about"));
    assertRefused(admin.post("/warm", PurgeCluster.TENANT, "{\"urls\":[\"http://" + SITE + "/about\"]}"),
        403, SITE);
  }

  private EdgeStack startNode(ServerConfig config) throws Exception {
    EdgeStack node = EdgeStack.start(origin, config);
    PurgeCluster.awaitServingHits(node);
    return node;
  }

  private void purgeAndWait(String json) throws Exception {
    admin.awaitComplete(PurgeCluster.ADMIN, admin.purge(PurgeCluster.ADMIN, json), WITHIN);
  }

  private void fillEveryNode(String... paths) throws Exception {
    for (EdgeStack node : nodes) {
      for (String path : paths) {
        get(node, path);
        assertHit(get(node, path));
      }
    }
  }

  private static HttpResponse<String> get(EdgeStack node, String path) throws Exception {
    return node.get(path, "host", SITE);
  }

  private static void awaitOnDisk(EdgeStack node, String... paths) throws InterruptedException {
    long deadline = System.nanoTime() + WITHIN.toNanos();
    for (String path : paths) {
      Path file = node.server.node().tiers().disk().orElseThrow().fileOf("http://" + SITE + path);
      while (!java.nio.file.Files.exists(file)) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError(path + " never reached the disk tier");
        }
        Thread.sleep(5);
      }
    }
  }

  private static void awaitBody(EdgeStack node, String path, String body) throws Exception {
    long deadline = System.nanoTime() + WITHIN.toNanos();
    while (!get(node, path).body().equals(body)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(path + " never became " + body);
      }
      Thread.sleep(5);
    }
  }

  private static Set<String> names(JsonNode array) {
    Set<String> names = new TreeSet<>();
    array.forEach(node -> names.add(node.asText()));
    return names;
  }

  private static String cacheStatus(HttpResponse<?> response) {
    return response.headers().firstValue("cache-status").orElse("(no Cache-Status)");
  }

  private static void assertHit(HttpResponse<?> response) {
    assertTrue(cacheStatus(response).contains("; hit"), "expected a hit: " + cacheStatus(response));
  }

  private static void assertMiss(HttpResponse<?> response) {
    assertFalse(cacheStatus(response).contains("; hit"), "expected a miss: " + cacheStatus(response));
    assertTrue(cacheStatus(response).contains("fwd="), cacheStatus(response));
  }

  private static void assertRefused(PurgeAdminClient.Reply reply, int status, String mentions) {
    assertEquals(status, reply.status(), reply.body().toString());
    assertTrue(reply.error().contains(mentions), "error should mention '" + mentions + "': " + reply.error());
  }
}
