package io.edgecache.bench.load;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A markdown table of load results, one row per run, printed as each run finishes. */
public final class ResultTable {

  private static final String HEADER =
      "| what | server | load | req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | errors"
          + " | server CPU µs/req | server bytes allocated/req |\n"
          + "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|";

  private final List<String> rows = new ArrayList<>();

  public ResultTable() {
    System.out.println(HEADER);
  }

  public void add(String what, String server, String load, LoadResult result) {
    String row = String.format(Locale.ROOT,
        "| %s | %s | %s | %.0f | %.3f | %.3f | %.3f | %.3f | %d | %s | %s |",
        what, server, load, result.requestsPerSecond(), result.millisAt(50), result.millisAt(90),
        result.millisAt(99), result.millisAt(99.9), result.errors(),
        orDash(result.serverCpuMicrosPerRequest(), "%.1f"),
        orDash(result.serverBytesPerRequest(), "%.0f"));
    rows.add(row);
    System.out.println(row);
    System.out.flush();
  }

  private static String orDash(double value, String format) {
    return Double.isNaN(value) ? "–" : String.format(Locale.ROOT, format, value);
  }

  public String markdown() {
    return HEADER + "\n" + String.join("\n", rows) + "\n";
  }
}
