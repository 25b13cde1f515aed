package io.edgecache.bench.burst;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * One {@code curl} process per request, as the issue measured: the clients compete for the
 * same two cores as the edge and the node. Each prints its response head, then status and
 * total time.
 */
final class CurlBurstClient implements BurstClient {

  private static final String TIMING = "\nstatus=%{http_code} seconds=%{time_total}\n";

  @Override
  public List<Answer> fire(URI target, int requests, Duration timeout) throws IOException,
      InterruptedException {
    List<Process> processes = new ArrayList<>();
    for (int i = 0; i < requests; i++) {
      processes.add(new ProcessBuilder("curl", "-sS", "-o", "/dev/null", "-D", "-",
          "--max-time", Long.toString(Math.max(1, timeout.toSeconds())), "-w", TIMING,
          target.toString()).redirectErrorStream(true).start());
    }
    List<Answer> answers = new ArrayList<>();
    for (Process process : processes) {
      if (!process.waitFor(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        answers.add(new Answer(0, null, timeout.toNanos()));
        continue;
      }
      answers.add(parse(new String(process.getInputStream().readAllBytes(),
          StandardCharsets.ISO_8859_1)));
    }
    return answers;
  }

  private static Answer parse(String output) {
    String cacheStatus = null;
    int status = 0;
    long nanos = 0;
    for (String line : output.split("\r?\n")) {
      String lower = line.toLowerCase(Locale.ROOT);
      if (lower.startsWith("cache-status:")) {
        cacheStatus = line.substring("cache-status:".length()).trim();
      } else if (line.startsWith("status=")) {
        String[] fields = line.split(" ");
        status = Integer.parseInt(fields[0].substring("status=".length()));
        nanos = (long) (Double.parseDouble(fields[1].substring("seconds=".length())) * 1e9);
      }
    }
    return new Answer(status, cacheStatus, nanos);
  }
}
