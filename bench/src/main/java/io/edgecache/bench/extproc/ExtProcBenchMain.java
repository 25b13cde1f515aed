package io.edgecache.bench.extproc;

import io.edgecache.bench.Flags;
import io.edgecache.bench.load.LoadGenerator;
import io.edgecache.bench.load.LoadResult;
import io.edgecache.bench.load.ResultTable;
import io.edgecache.extproc.ExtProcServer;
import io.edgecache.extproc.config.ServerConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The ext_proc benchmark: edgecache's ext_proc server against the protocol floor
 * ({@link FloorServer}), both in this JVM, driven by the same Envoy-like driver in the same
 * run. For each scenario it alternates floor, edgecache, floor, edgecache... at a fixed
 * concurrency (closed loop, the throughput figure), then runs both open loop at a fraction of
 * edgecache's measured throughput (the latency figure). Writes a markdown report.
 */
public final class ExtProcBenchMain {

  private static final String USAGE = "[--scenarios hit,miss,pass] [--sizes 1024,102400]"
      + " [--servers floor,edgecache] [--concurrency 32] [--jit-warmup-s 5] [--warmup-s 3]"
      + " [--duration-s 10]"
      + " [--rounds 2] [--open-loop-fraction 0.5 (0 = none)]"
      + " [--crossover-sizes 16384,...,1048576 (empty = none)] [--markdown FILE]";

  private static final String FLOOR = "floor";
  private static final String EDGECACHE = "edgecache";

  private final int concurrency;
  private final Duration jitWarmup;
  private final Duration warmup;
  private final Duration measure;
  private final int rounds;
  private final double openLoopFraction;
  private final List<String> servers;
  private final ResultTable table = new ResultTable();
  private final ServerCpu serverCpu = new ServerCpu();
  private final ServerAllocation serverAllocation = new ServerAllocation();
  private final StringBuilder ratios = new StringBuilder(
      "| what | edgecache req/s | floor req/s | edgecache / floor"
          + " | edgecache server CPU µs/req | floor server CPU µs/req"
          + " | edgecache server bytes/req | floor server bytes/req |\n"
          + "|---|---:|---:|---:|---:|---:|---:|---:|\n");

  private ExtProcBenchMain(Flags flags) {
    concurrency = flags.integer("concurrency", 32);
    jitWarmup = Duration.ofSeconds(flags.integer("jit-warmup-s", 5));
    warmup = Duration.ofSeconds(flags.integer("warmup-s", 3));
    measure = Duration.ofSeconds(flags.integer("duration-s", 10));
    rounds = flags.integer("rounds", 2);
    openLoopFraction = flags.decimal("open-loop-fraction", 0.5);
    servers = flags.list("servers", FLOOR + "," + EDGECACHE);
  }

  public static void main(String[] args) throws Exception {
    Flags flags = Flags.parse(args, USAGE);
    List<Scenario> scenarios = new ArrayList<>();
    List<String> sizes = flags.list("sizes", "1024,102400");
    for (String kind : flags.list("scenarios", "hit,miss,pass")) {
      if (kind.isBlank()) {
        continue; // --scenarios '' runs the crossover alone
      }
      for (String size : sizes) {
        scenarios.add(new Scenario(Scenario.Kind.valueOf(kind.toUpperCase(Locale.ROOT)),
            Integer.parseInt(size)));
      }
    }
    String markdownFile = flags.string("markdown", "");
    List<Integer> crossoverSizes = new ArrayList<>();
    for (String size : flags.list("crossover-sizes", "")) {
      if (!size.isBlank()) {
        crossoverSizes.add(Integer.parseInt(size.trim()));
      }
    }
    ExtProcBenchMain bench = new ExtProcBenchMain(flags);
    flags.rejectUnknown();

    ServerConfig config = ServerConfig.defaults()
        .withListen(new InetSocketAddress("127.0.0.1", 0))
        .withAdminListen(null);
    try (ExtProcServer edgecache = ExtProcServer.start(config, Clock.systemUTC());
        ExtProcClient edgecacheClient = ExtProcClient.connect("127.0.0.1", edgecache.port())) {
      for (Scenario scenario : scenarios) {
        bench.run(scenario, edgecacheClient);
      }
    }
    String report = "#### Closed loop (" + bench.concurrency + " streams in flight) and open loop\n\n"
        + bench.table.markdown() + "\n#### Hit path against the protocol floor (closed loop,"
        + " mean of " + bench.rounds + " rounds)\n\n" + bench.ratios
        + "\nServer CPU: the JVM's CPU time (JIT and GC included) minus the driver's threads,"
        + " over the measurement window, per request answered.\n";
    if (!crossoverSizes.isEmpty()) {
      report += "\n" + new BodyRouteCrossover(bench.concurrency, bench.jitWarmup, bench.warmup,
          bench.measure, bench.rounds, bench.serverCpu).run(crossoverSizes);
    }
    System.out.println();
    System.out.println(bench.ratios);
    if (!markdownFile.isEmpty()) {
      Files.writeString(Path.of(markdownFile), report);
    }
  }

  private void run(Scenario scenario, ExtProcClient edgecacheClient)
      throws IOException, InterruptedException {
    try (FloorServer floor = FloorServer.start(scenario);
        ExtProcClient floorClient = ExtProcClient.connect("127.0.0.1", floor.port())) {
      Map<String, LoadGenerator> generators = new LinkedHashMap<>();
      for (String server : servers) {
        ExtProcClient client = server.equals(FLOOR) ? floorClient : edgecacheClient;
        generators.put(server,
            new LoadGenerator(new ExtProcTarget(client, scenario), serverCpu, serverAllocation));
      }
      // Unmeasured first pass per server: on a busy 2-core machine the JIT needs far longer
      // than one run's warm-up to compile this scenario's path.
      for (LoadGenerator generator : generators.values()) {
        generator.closedLoop(concurrency, Duration.ZERO, jitWarmup);
      }
      Map<String, Double> meanRate = new LinkedHashMap<>();
      Map<String, Double> meanCpu = new LinkedHashMap<>();
      Map<String, Double> meanBytes = new LinkedHashMap<>();
      String closed = "closed " + concurrency;
      for (int round = 0; round < rounds; round++) {
        for (Map.Entry<String, LoadGenerator> server : generators.entrySet()) {
          LoadResult result = server.getValue().closedLoop(concurrency, warmup, measure);
          table.add(scenario.label(), server.getKey(), closed, result);
          meanRate.merge(server.getKey(), result.requestsPerSecond() / rounds, Double::sum);
          meanCpu.merge(server.getKey(), result.serverCpuMicrosPerRequest() / rounds, Double::sum);
          meanBytes.merge(server.getKey(), result.serverBytesPerRequest() / rounds, Double::sum);
        }
      }
      if (meanRate.containsKey(FLOOR) && meanRate.containsKey(EDGECACHE)) {
        ratios.append(String.format(Locale.ROOT,
            "| %s | %.0f | %.0f | %.2f | %.1f | %.1f | %.0f | %.0f |%n",
            scenario.label(), meanRate.get(EDGECACHE), meanRate.get(FLOOR),
            meanRate.get(EDGECACHE) / meanRate.get(FLOOR), meanCpu.get(EDGECACHE),
            meanCpu.get(FLOOR), meanBytes.get(EDGECACHE), meanBytes.get(FLOOR)));
      }
      if (openLoopFraction > 0) {
        double rate = openLoopFraction * meanRate.getOrDefault(EDGECACHE,
            meanRate.values().iterator().next());
        String open = String.format(Locale.ROOT, "open %.0f/s", rate);
        for (Map.Entry<String, LoadGenerator> server : generators.entrySet()) {
          table.add(scenario.label(), server.getKey(), open,
              server.getValue().openLoop(rate, 10 * concurrency, warmup, measure));
        }
      }
    }
  }
}
