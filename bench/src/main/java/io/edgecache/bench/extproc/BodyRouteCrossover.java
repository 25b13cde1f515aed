package io.edgecache.bench.extproc;

import io.edgecache.bench.load.LoadGenerator;
import io.edgecache.bench.load.LoadResult;
import io.edgecache.extproc.ExtProcServer;
import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.config.TiersConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * At which body size answering a hit through the body endpoint (a reroute: the ext_proc answer
 * carries a token, the proxy's body route fetches the body over HTTP/1.1 from the node's body
 * endpoint, which streams it from disk) costs the cache node less than carrying the body in
 * {@code immediate_response} through protobuf. Two nodes in this JVM: one holds every body in
 * memory and answers immediately; one routes every body (largeObjectBytes 1 B) to disk and
 * reroutes. For each size, rounds alternate between them; the figure compared is the node's
 * CPU per hit ({@link ServerCpu}), which is what the threshold spends or saves on a node behind
 * a real Envoy; closed-loop throughput is shown beside it.
 */
final class BodyRouteCrossover {

  private final int concurrency;
  private final Duration jitWarmup;
  private final Duration warmup;
  private final Duration measure;
  private final int rounds;
  private final ServerCpu serverCpu;

  BodyRouteCrossover(int concurrency, Duration jitWarmup, Duration warmup, Duration measure,
      int rounds, ServerCpu serverCpu) {
    this.concurrency = concurrency;
    this.jitWarmup = jitWarmup;
    this.warmup = warmup;
    this.measure = measure;
    this.rounds = rounds;
    this.serverCpu = serverCpu;
  }

  /** Runs the sweep over {@code sizes} (ascending) and returns its markdown section. */
  String run(List<Integer> sizes) throws IOException, InterruptedException {
    Path disk = Files.createTempDirectory("edgecache-bench-disk");
    ServerConfig inMemory = ServerConfig.defaults()
        .withListen(new InetSocketAddress("127.0.0.1", 0))
        .withAdminListen(null);
    StringBuilder table = new StringBuilder("#### Large-body route crossover (closed loop, "
        + concurrency + " streams, mean of " + rounds + " rounds per size)\n\n"
        + "| body | immediate req/s | reroute req/s | immediate server CPU µs/hit"
        + " | reroute server CPU µs/hit | cheaper for the node |\n"
        + "|---:|---:|---:|---:|---:|---|\n");
    Integer crossover = null;
    Integer lastImmediate = null;
    try (ExtProcServer immediate = ExtProcServer.start(inMemory, Clock.systemUTC());
        ExtProcServer rerouting = ExtProcServer.start(inMemory.withTiers(reroutingAll(disk)),
            Clock.systemUTC());
        ExtProcClient immediateClient = ExtProcClient.connect("127.0.0.1", immediate.port());
        ExtProcClient reroutingClient = ExtProcClient.connect("127.0.0.1", rerouting.port());
        BodyClient bodyRoute = new BodyClient("127.0.0.1", rerouting.bodyPort())) {
      for (int size : sizes) {
        LoadGenerator viaImmediate = new LoadGenerator(
            new ExtProcTarget(immediateClient, new Scenario(Scenario.Kind.HIT, size)), serverCpu,
            () -> -1);
        LoadGenerator viaReroute = new LoadGenerator(new ExtProcTarget(reroutingClient,
            new Scenario(Scenario.Kind.HIT, size), bodyRoute), serverCpu, () -> -1);
        viaImmediate.closedLoop(concurrency, Duration.ZERO, jitWarmup);
        viaReroute.closedLoop(concurrency, Duration.ZERO, jitWarmup);
        double[] immediateMeans = new double[2];
        double[] rerouteMeans = new double[2];
        for (int round = 0; round < rounds; round++) {
          add(immediateMeans, viaImmediate.closedLoop(concurrency, warmup, measure));
          add(rerouteMeans, viaReroute.closedLoop(concurrency, warmup, measure));
        }
        // NaN: a way answered nothing inside a window, which says only that the machine is
        // too busy; no verdict then.
        boolean judged = !Double.isNaN(rerouteMeans[1]) && !Double.isNaN(immediateMeans[1]);
        boolean rerouteCheaper = judged && rerouteMeans[1] < immediateMeans[1];
        if (rerouteCheaper) {
          crossover = crossover == null ? size : crossover;
        } else {
          crossover = null;
          lastImmediate = judged ? size : lastImmediate;
        }
        String row = String.format(Locale.ROOT, "| %d KiB | %.0f | %.0f | %.1f | %.1f | %s |%n",
            size / 1024, immediateMeans[0], rerouteMeans[0], immediateMeans[1], rerouteMeans[1],
            !judged ? "no verdict" : rerouteCheaper ? "reroute" : "immediate");
        table.append(row);
        System.out.print(row);
      }
    } finally {
      deleteRecursively(disk);
    }
    table.append("\nCrossover (smallest size from which the reroute is cheaper at every larger"
        + " size measured): ").append(crossover == null ? "none in this sweep"
            : crossover / 1024 + " KiB").append("; largest size below it where immediate_response"
            + " is cheaper, the value for tiers.largeObjectBytes (bodies above it are rerouted): ")
        .append(crossover == null || lastImmediate == null
            ? "none" : lastImmediate / 1024 + " KiB").append(".\n");
    System.out.println(table);
    return table.toString();
  }

  private void add(double[] means, LoadResult result) {
    means[0] += result.requestsPerSecond() / rounds;
    means[1] += result.serverCpuMicrosPerRequest() / rounds;
  }

  /** Every body above 1 B to disk, answered through the body endpoint on an ephemeral port. */
  private static TiersConfig reroutingAll(Path disk) {
    TiersConfig d = TiersConfig.defaults();
    return new TiersConfig(1, d.writeQueueCapacity(), d.writeQueueBytes(), d.breakerFailures(),
        d.breakerCoolDown(), d.lookupWait(), new InetSocketAddress("127.0.0.1", 0), null,
        new TiersConfig.Disk(true, disk, 4L << 30, d.disk().timeout()), d.redis(), d.s3());
  }

  private static void deleteRecursively(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
