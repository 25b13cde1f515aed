package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.config.RoutePolicy;
import io.edgecache.extproc.config.ServerConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Replies Envoy makes itself reach the cache node too (Envoy 1.37 passes local replies through
 * ext_proc), and envoy/envoy.yaml's filter asks for response.code_details so the node can tell
 * them from the origin's: a route negatively caching 503 stores the origin's 503, never the
 * router's own for an origin it could not reach, which would otherwise answer every client for
 * the whole TTL after the origin came back. Through local-edge, with the filter envoy.yaml ships.
 */
class EnvoyRepliesEndToEndTest {

  /** A route that keeps 503s for a minute, as an operator shielding a struggling origin might. */
  private static final ServerConfig NEGATIVE_503 = ServerConfig.defaults().withRoutes(List.of(
      RoutePolicy.builder().negativeTtls(Map.of(503, Duration.ofSeconds(60))).build()));

  @Test
  void theRoutersOwn503ForAnUnreachableOriginIsNeverStored() throws Exception {
    try (Socket dead = refusingPort();
        EdgeStack stack = EdgeStack.start("http://127.0.0.1:" + dead.getLocalPort(), NEGATIVE_503)) {
      assertNeverStored(stack, "/unreachable");
    }
  }

  @Test
  void theRoutersOwn503ForAResetBeforeTheResponseHeadersIsNeverStored() throws Exception {
    try (TestOrigin origin = new TestOrigin();
        EdgeStack stack = EdgeStack.start(origin, NEGATIVE_503)) {
      origin.dropConnection("/reset");
      assertNeverStored(stack, "/reset");
    }
  }

  /** The same route stores the origin's own 503: what differs is who answered, not the status. */
  @Test
  void theOriginsOwn503IsStoredUnderTheSameRoute() throws Exception {
    try (TestOrigin origin = new TestOrigin();
        EdgeStack stack = EdgeStack.start(origin, NEGATIVE_503)) {
      origin.reply("/struggling", TestOrigin.Reply.status(503, "busy"));

      assertEquals(503, stack.get("/struggling").statusCode());
      HttpResponse<String> again = stack.get("/struggling");

      assertEquals("busy", again.body());
      assertTrue(again.headers().firstValue("cache-status").orElse("").contains("; hit"),
          again.headers().toString());
    }
  }

  /** Two requests for {@code path} both get the router's 503, marked as Envoy's own reply. */
  private static void assertNeverStored(EdgeStack stack, String path) throws Exception {
    for (int attempt = 1; attempt <= 2; attempt++) {
      HttpResponse<String> response = stack.get(path);

      assertEquals(503, response.statusCode());
      assertTrue(response.body().startsWith("upstream connect error"), response.body());
      assertEquals("edgecache; fwd=uri-miss; fwd-status=503; detail=envoy-reply",
          response.headers().firstValue("cache-status").orElse(""), "attempt " + attempt);
    }
  }

  /** A bound loopback socket that is not listening: connecting to it is refused. */
  private static Socket refusingPort() throws Exception {
    Socket socket = new Socket();
    socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    return socket;
  }
}
