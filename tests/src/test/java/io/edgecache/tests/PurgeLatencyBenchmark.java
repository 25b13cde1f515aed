package io.edgecache.tests;

import com.google.protobuf.ByteString;
import io.edgecache.controlplane.purge.PurgeCoordinator;
import io.edgecache.extproc.ExtProcServer;
import io.edgecache.extproc.cache.CacheKey;
import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.cache.ReuseRules;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.telemetry.Telemetry;
import io.edgecache.proto.purge.v1.PurgeStatus;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Purge-to-all-acked latency on loopback: a control plane and three cache nodes (ext_proc
 * servers following its purge stream, each holding {@value #ENTRIES} entries in memory); each
 * purge is submitted through the REST admin API and timed until the coordinator reports every
 * node acked it (the coordinator's completion future: no polling). Prints the figures (recorded in BENCHMARKS.md); asserts nothing about them.
 * Not part of the default test run (its name does not end in Test):
 *
 * <pre>mvn -B -o -q -pl tests -am test -Dtest=PurgeLatencyBenchmark -Dsurefire.failIfNoSpecifiedTests=false</pre>
 */
class PurgeLatencyBenchmark {

  private static final int ENTRIES = 10_000;
  private static final int WARMUP = 200;
  private static final int MEASURED = 1_000;

  @TempDir
  Path dir;

  @Test
  void purgeToAllAcked() throws Exception {
    try (PurgeCluster cluster = new PurgeCluster(dir)) {
      List<ExtProcServer> nodes = new ArrayList<>();
      try {
        for (int i = 1; i <= 3; i++) {
          ExtProcServer node = ExtProcServer.start(cluster.nodeConfig("node-" + i)
              .withListen(new InetSocketAddress("127.0.0.1", 0)).withAdminListen(null),
              Clock.systemUTC(), Telemetry.disabled(), "bench");
          nodes.add(node);
          fill(node);
        }
        PurgeAdminClient admin = cluster.admin();
        PurgeCoordinator coordinator = cluster.controlPlane.purge().orElseThrow().coordinator();
        long[] nanos = new long[MEASURED];
        long[] submitNanos = new long[MEASURED];
        for (int i = 0; i < WARMUP + MEASURED; i++) {
          long started = System.nanoTime();
          String id = admin.purge(PurgeCluster.ADMIN, purge(i));
          long posted = System.nanoTime();
          PurgeStatus done = coordinator.completion(coordinator.status(id)).get(10, TimeUnit.SECONDS);
          long elapsed = System.nanoTime() - started;
          if (done.getAckedNodesCount() != 3) {
            throw new AssertionError("purge " + id + " completed without every node: " + done);
          }
          if (i >= WARMUP) {
            nanos[i - WARMUP] = elapsed;
            submitNanos[i - WARMUP] = posted - started;
          }
        }
        Arrays.sort(nanos);
        Arrays.sort(submitNanos);
        System.out.printf("of which the REST submit (logged, fsync'd, sent): p50 %.2f ms, p99 %.2f ms%n",
            ms(submitNanos, 0.50), ms(submitNanos, 0.99));
        System.out.printf("purge-to-all-acked over %d purges, 3 nodes x %d entries: p50 %.2f ms, p90 %.2f ms,"
                + " p99 %.2f ms, max %.2f ms%n", MEASURED, ENTRIES, ms(nanos, 0.50), ms(nanos, 0.90),
            ms(nanos, 0.99), nanos[MEASURED - 1] / 1e6);
      } finally {
        nodes.forEach(ExtProcServer::close);
      }
    }
  }

  /** Rotates URL, tag and prefix purges, each hitting one stored entry. */
  private static String purge(int i) {
    int item = i % ENTRIES;
    return switch (i % 3) {
      case 0 -> "{\"kind\":\"URL\",\"value\":\"http://shop.example/item/" + item + "\"}";
      case 1 -> "{\"kind\":\"TAG\",\"value\":\"item-" + item + "\"}";
      default -> "{\"kind\":\"PREFIX\",\"value\":\"http://shop.example/item/" + item + "\"}";
    };
  }

  private static void fill(ExtProcServer node) throws InterruptedException {
    PurgeCluster.awaitServingHits(node.node());
    Instant now = Instant.now();
    for (int i = 0; i < ENTRIES; i++) {
      node.node().tiers().store(CacheKey.of("http", "shop.example", "/item/" + i), new CachedResponse(200,
          HeaderList.of(List.of(new HeaderList.Field("surrogate-key", "item-" + i + " all"))),
          ByteString.copyFromUtf8("item " + i), now, Duration.ZERO, Duration.ofHours(1), Map.of(),
          ReuseRules.NONE));
    }
  }

  private static double ms(long[] sortedNanos, double quantile) {
    return sortedNanos[(int) Math.min(sortedNanos.length - 1, Math.ceil(quantile * sortedNanos.length) - 1)] / 1e6;
  }
}
