package io.edgecache.controlplane.purge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.edgecache.proto.purge.v1.WarmProgress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Warming through a real HTTP edge on loopback: what was fetched and what failed, with why. */
@Timeout(30)
class WarmerTest {
  private HttpServer edge;
  private Warmer warmer;

  @BeforeEach
  void start() throws Exception {
    edge = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    edge.createContext("/", exchange -> {
      int status = switch (exchange.getRequestURI().getPath()) {
        case "/ok" -> 200;
        case "/missing" -> 404;
        default -> 503;
      };
      exchange.sendResponseHeaders(status, -1);
      exchange.close();
    });
    edge.start();
    warmer = new Warmer(URI.create("http://127.0.0.1:" + edge.getAddress().getPort()));
  }

  @AfterEach
  void stop() {
    warmer.close();
    edge.stop(0);
  }

  @Test
  void failedFetchesAreCountedWithTheirStatus() throws Exception {
    WarmProgress started = warmer.start(List.of(URI.create("http://site.test/ok"),
        URI.create("http://site.test/missing"), URI.create("http://site.test/down")));

    WarmProgress done = awaitComplete(started.getWarmId());
    assertEquals(3, done.getTotal());
    assertEquals(1, done.getDone());
    assertEquals(2, done.getFailed());
    assertTrue(done.getErrorsList().contains("http://site.test/missing: status 404"), done.getErrorsList().toString());
    assertTrue(done.getErrorsList().contains("http://site.test/down: status 503"), done.getErrorsList().toString());
  }

  @Test
  void anUnreachableEdgeIsAFailure() throws Exception {
    edge.stop(0);
    WarmProgress done = awaitComplete(warmer.start(List.of(URI.create("http://site.test/ok"))).getWarmId());
    assertEquals(0, done.getDone());
    assertEquals(1, done.getFailed());
    assertTrue(done.getErrors(0).startsWith("http://site.test/ok: "), done.getErrors(0));
  }

  private WarmProgress awaitComplete(String id) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    WarmProgress progress = warmer.progress(id);
    while (!progress.getComplete()) {
      assertTrue(System.nanoTime() < deadline, "warming did not complete: " + progress);
      Thread.onSpinWait();
      progress = warmer.progress(id);
    }
    return progress;
  }
}
