package io.edgecache.bench.burst;

import io.edgecache.bench.Flags;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Issue 18's burst: N concurrent GETs for one cold key through a running local-edge to a slow
 * origin this main serves, in rounds on fresh keys (round 1 right after start, the next ones on
 * warm JVMs). Prints per round: origin fetches, answers without Cache-Status, the edge's
 * failure_mode_allowed/message_timeouts deltas, latency and answers by Cache-Status. Exits 1
 * when a round cost more than one fetch or anything failed open, unless {@code --check false}.
 *
 * <p>{@code --started-at-ms} (epoch ms at which the edge and node were launched) makes the
 * t(s) column read "seconds since start".
 */
public final class BurstMain {

  private static final String USAGE = "BurstMain --edge http://127.0.0.1:18101 [--edge-stats URL]"
      + " [--origin-port 18100] [--origin-delay-ms 1000] [--requests 100] [--rounds 3]"
      + " [--client java|curl] [--timeout-s 30] [--started-at-ms EPOCH_MS] [--check true]";

  private BurstMain() {}

  public static void main(String[] args) throws Exception {
    Flags flags = Flags.parse(args, USAGE);
    URI edge = URI.create(flags.string("edge", "http://127.0.0.1:18101"));
    String statsUrl = flags.string("edge-stats", "");
    int originPort = flags.integer("origin-port", 18100);
    Duration delay = Duration.ofMillis(flags.integer("origin-delay-ms", 1000));
    int requests = flags.integer("requests", 100);
    int rounds = flags.integer("rounds", 3);
    BurstClient client = BurstClient.named(flags.string("client", "java"));
    Duration timeout = Duration.ofSeconds(flags.integer("timeout-s", 30));
    long startedAt = Long.parseLong(flags.string("started-at-ms",
        Long.toString(System.currentTimeMillis())));
    boolean check = Boolean.parseBoolean(flags.string("check", "true"));
    flags.rejectUnknown();

    EdgeStats stats = statsUrl.isEmpty() ? null : new EdgeStats(URI.create(statsUrl));
    List<BurstRound> results = new ArrayList<>();
    String run = Long.toString(System.currentTimeMillis(), 36);
    try (SlowOrigin origin = new SlowOrigin(originPort, delay)) {
      System.out.println(BurstRound.HEADER);
      for (int round = 1; round <= rounds; round++) {
        String path = "/burst/" + run + "/" + round;
        Map<String, Long> before = stats == null ? null : stats.read();
        double t = (System.currentTimeMillis() - startedAt) / 1000.0;
        List<BurstClient.Answer> answers = client.fire(edge.resolve(path), requests, timeout);
        EdgeStats.Delta delta = stats == null ? null : EdgeStats.between(before, stats.read());
        BurstRound result = new BurstRound(round == 1 ? "cold" : "warm-" + (round - 1), t,
            origin.fetches(path), answers, delta);
        results.add(result);
        System.out.println(result.row());
      }
    }
    boolean clean = results.stream().allMatch(r -> r.originFetches() == 1
        && r.withoutCacheStatus() == 0
        && (r.edge() == null || r.edge().failureModeAllowed() == 0));
    System.out.println(clean ? "bursts: every round cost 1 origin fetch and 0 fail-opens"
        : "bursts: some round cost more than 1 origin fetch or failed open");
    if (check && !clean) {
      System.exit(1);
    }
  }
}
