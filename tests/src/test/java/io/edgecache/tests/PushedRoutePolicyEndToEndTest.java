package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A route's poisoning defences set in the control plane reach the cache node with the route's
 * pushed policy and win over the node's own route: a control plane pushes
 * {@code storeResponsesToCookieRequests: true} for {@code /shared/} and nothing for the rest, to a
 * local-edge that takes its routes over ADS and a real cache node whose own route keeps the safe
 * default (false).
 */
class PushedRoutePolicyEndToEndTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  @TempDir Path dir;
  TestOrigin origin;
  PurgeCluster cluster;
  AdsFollowingNode node;
  final HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

  @BeforeEach
  void start() throws Exception {
    origin = new TestOrigin();
    for (String path : java.util.List.of("/shared/page", "/private/page", "/ready")) {
      // no public, no s-maxage: by default a response to a Cookie request is personal
      origin.reply(path, TestOrigin.Reply.text("page " + path, "cache-control", "max-age=600"));
    }
    cluster = PurgeCluster.routingTo(dir, origin.url().substring("http://".length()), PurgeCluster.oneSite("""
        [{name: shared, match: {prefix: /shared/}, cluster: origin,
                  cache: {storeResponsesToCookieRequests: true}},
                 {name: default, match: {prefix: /}, cluster: origin}]"""));
    node = new AdsFollowingNode(cluster.nodeConfig("node-1"), cluster.xdsPort, "edge-1");
    PurgeCluster.awaitServingHits(node.server.node());
    Poll.until("local-edge serving the control plane's routes", TIMEOUT, () -> status("/ready") == 200);
  }

  @AfterEach
  void stop() {
    node.close();
    cluster.close();
    origin.close();
  }

  @Test
  void pushedStoreResponsesToCookieRequestsLetsACookieRequestsResponseBeStoredWhileTheDefaultDoesNot()
      throws Exception {
    HttpResponse<String> alice = get("/shared/page", "session=alice");
    assertEquals(200, alice.statusCode());
    assertTrue(cacheStatus(alice).contains("stored"), cacheStatus(alice));
    HttpResponse<String> bob = get("/shared/page", "session=bob");
    assertTrue(cacheStatus(bob).contains("hit"), cacheStatus(bob));
    assertEquals("page /shared/page", bob.body());
    assertEquals(1, origin.count("/shared/page"));

    HttpResponse<String> carol = get("/private/page", "session=carol");
    assertTrue(cacheStatus(carol).contains("detail=cookie"), cacheStatus(carol));
    assertFalse(cacheStatus(carol).contains("stored"), cacheStatus(carol));
    HttpResponse<String> dave = get("/private/page", "session=dave");
    assertFalse(cacheStatus(dave).contains("hit"), cacheStatus(dave));
    assertEquals(2, origin.count("/private/page"));
  }

  private HttpResponse<String> get(String path, String cookie) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create(node.url(path))).header("cookie", cookie)
        .timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
  }

  private int status(String path) {
    try {
      return client.send(HttpRequest.newBuilder(URI.create(node.url(path))).timeout(TIMEOUT).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (java.io.IOException e) {
      return 0; // not listening on the routes yet
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }

  private static String cacheStatus(HttpResponse<?> response) {
    return response.headers().firstValue("cache-status").orElse("");
  }
}
