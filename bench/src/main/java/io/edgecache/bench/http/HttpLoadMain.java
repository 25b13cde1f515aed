package io.edgecache.bench.http;

import io.edgecache.bench.Flags;
import io.edgecache.bench.load.LoadGenerator;
import io.edgecache.bench.load.ResultTable;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;

/**
 * Open-loop HTTP load, the part of wrk2 that Debian lacks: {@code --rate} GETs per second
 * over {@code --connections} keep-alive connections, latency counted from when each request
 * was due. Prints one markdown row.
 */
public final class HttpLoadMain {

  private static final String USAGE = "--url http://127.0.0.1:PORT/PATH --rate N [--name NAME]"
      + " [--connections 32] [--warmup-s 3] [--duration-s 10]";

  private HttpLoadMain() {}

  public static void main(String[] args) throws Exception {
    Flags flags = Flags.parse(args, USAGE);
    URI url = URI.create(flags.string("url", ""));
    double rate = flags.decimal("rate", 0);
    String name = flags.string("name", url.toString());
    int connections = flags.integer("connections", 32);
    Duration warmup = Duration.ofSeconds(flags.integer("warmup-s", 3));
    Duration measure = Duration.ofSeconds(flags.integer("duration-s", 10));
    flags.rejectUnknown();
    if (url.getHost() == null || rate <= 0) {
      throw new IllegalArgumentException("--url and --rate are required; usage: " + USAGE);
    }
    try (HttpTarget target = new HttpTarget(url, connections)) {
      new ResultTable().add(url.getPath(), name,
          String.format(Locale.ROOT, "open %.0f/s, %d conns", rate, connections),
          new LoadGenerator(target).openLoop(rate, 100 * connections, warmup, measure));
    }
  }
}
