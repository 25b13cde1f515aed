package io.edgecache.bench.burst;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one burst cost: origin fetches, answers grouped by Cache-Status, the edge's fail-open
 * counters and latency percentiles. A response without Cache-Status is one the node never
 * answered in time: {@code failure_mode_allow} sent it to the origin unprocessed.
 */
record BurstRound(String label, double secondsSinceStart, int originFetches,
    List<BurstClient.Answer> answers, EdgeStats.Delta edge) {

  static final String HEADER = String.format("%-8s %6s %8s %8s %9s %11s %8s %8s %8s  %s",
      "burst", "t(s)", "requests", "fetches", "no-status", "fail-opens", "p50(ms)", "p99(ms)",
      "max(ms)", "by Cache-Status");

  String row() {
    long[] millis = answers.stream().mapToLong(a -> a.nanos() / 1_000_000).sorted().toArray();
    return String.format("%-8s %6.1f %8d %8d %9d %11s %8d %8d %8d  %s", label, secondsSinceStart,
        answers.size(), originFetches, withoutCacheStatus(), edge == null ? "n/a" : edge.describe(),
        percentile(millis, 50), percentile(millis, 99), millis.length == 0 ? 0 : millis[millis.length - 1],
        byCacheStatus());
  }

  long withoutCacheStatus() {
    return answers.stream().filter(a -> a.status() != 0 && a.cacheStatus() == null).count();
  }

  /** Counts by kind: hit, collapsed, fwd=REASON, none (no Cache-Status), error (no answer). */
  Map<String, Integer> byCacheStatus() {
    Map<String, Integer> kinds = new TreeMap<>();
    for (BurstClient.Answer answer : answers) {
      kinds.merge(kind(answer), 1, Integer::sum);
    }
    return kinds;
  }

  private static String kind(BurstClient.Answer answer) {
    if (answer.status() == 0) {
      return "error";
    }
    String value = answer.cacheStatus();
    if (value == null) {
      return "none";
    }
    List<String> params = Arrays.stream(value.split(";")).map(String::trim).toList();
    if (params.contains("hit")) {
      return "hit";
    }
    if (params.contains("collapsed")) {
      return "collapsed";
    }
    return params.stream().filter(p -> p.startsWith("fwd=")).findFirst().orElse("other");
  }

  private static long percentile(long[] sorted, int percent) {
    if (sorted.length == 0) {
      return 0;
    }
    int index = (int) Math.ceil(percent / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, index)];
  }
}
