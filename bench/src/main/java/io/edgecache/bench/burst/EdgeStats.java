package io.edgecache.bench.burst;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads the ext_proc filter counters from local-edge's {@code /stats} (Envoy's text format and
 * names: {@code http.<stat_prefix>.ext_proc.failure_mode_allowed: 3}).
 */
final class EdgeStats {

  /** The change of the two counters a burst must leave at zero. */
  record Delta(long failureModeAllowed, long messageTimeouts) {
    String describe() {
      return failureModeAllowed + "/" + messageTimeouts;
    }
  }

  private final HttpClient client = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(2)).build();
  private final URI stats;

  EdgeStats(URI stats) {
    this.stats = stats;
  }

  Map<String, Long> read() throws Exception {
    String text = client.send(HttpRequest.newBuilder(stats).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    Map<String, Long> counters = new HashMap<>();
    for (String line : text.split("\n")) {
      int colon = line.lastIndexOf(':');
      if (colon > 0) {
        String name = line.substring(0, colon).trim();
        counters.put(name.substring(name.lastIndexOf('.') + 1),
            Long.parseLong(line.substring(colon + 1).trim()));
      }
    }
    return counters;
  }

  static Delta between(Map<String, Long> before, Map<String, Long> after) {
    return new Delta(
        after.getOrDefault("failure_mode_allowed", 0L) - before.getOrDefault("failure_mode_allowed", 0L),
        after.getOrDefault("message_timeouts", 0L) - before.getOrDefault("message_timeouts", 0L));
  }
}
