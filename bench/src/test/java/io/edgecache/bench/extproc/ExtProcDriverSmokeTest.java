package io.edgecache.bench.extproc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.bench.load.LoadGenerator;
import io.edgecache.bench.load.LoadResult;
import io.edgecache.extproc.ExtProcServer;
import io.edgecache.extproc.config.ServerConfig;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The driver completes each scenario's exchange as the server expects: no timing is asserted
 * (benchmarks are not tests), only that requests finish with the expected kind of answer.
 */
class ExtProcDriverSmokeTest {

  private static final Duration WARMUP = Duration.ofMillis(300);
  private static final Duration MEASURE = Duration.ofMillis(500);

  @Test
  void everyScenarioRunsCleanAgainstEdgecache() throws Exception {
    // No admin port: the default 127.0.0.1:9902 would collide with a node or demo running here.
    ServerConfig config = ServerConfig.defaults()
        .withListen(new InetSocketAddress("127.0.0.1", 0)).withAdminListen(null);
    try (ExtProcServer server = ExtProcServer.start(config, Clock.systemUTC());
        ExtProcClient client = ExtProcClient.connect("127.0.0.1", server.port())) {
      for (Scenario.Kind kind : Scenario.Kind.values()) {
        LoadGenerator load =
            new LoadGenerator(new ExtProcTarget(client, new Scenario(kind, 20_000)));
        // One request at a time first: a hit scenario's first request is the miss that stores.
        load.closedLoop(1, Duration.ZERO, WARMUP);
        LoadResult result = load.closedLoop(4, WARMUP, MEASURE);
        assertTrue(result.requests() > 0, kind + ": no request completed");
        assertEquals(0, result.errors(), kind + ": unexpected answers");
      }
    }
  }

  @Test
  void openLoopAgainstTheFloorKeepsItsRate() throws Exception {
    Scenario hit = new Scenario(Scenario.Kind.HIT, 1024);
    try (FloorServer floor = FloorServer.start(hit);
        ExtProcClient client = ExtProcClient.connect("127.0.0.1", floor.port())) {
      LoadResult result = new LoadGenerator(new ExtProcTarget(client, hit))
          .openLoop(200, 100, WARMUP, MEASURE);
      assertEquals(0, result.errors());
      assertTrue(result.requests() >= 80 && result.requests() <= 120,
          "200/s for 0.5 s should complete about 100, got " + result.requests());
    }
  }
}
