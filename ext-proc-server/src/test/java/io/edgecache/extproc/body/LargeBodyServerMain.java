package io.edgecache.extproc.body;

import io.edgecache.extproc.cache.L1Store;
import io.edgecache.extproc.cache.ReuseRules;
import io.edgecache.extproc.config.TiersConfig;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.store.EntryHead;
import io.edgecache.extproc.store.TieredStore;
import io.edgecache.extproc.testing.PatternBytes;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Run in a child JVM with a capped heap: streams a generated body of {@code args[2]} bytes into
 * a disk tier at {@code args[0]} under key {@code args[1]}, serves it with {@link BodyEndpoint},
 * prints {@code port=N}, a token for the entry ({@code token=T}) and one for a key it does not
 * hold ({@code missing=T}), and on end of stdin prints {@code peakHeap=BYTES} and exits.
 */
public final class LargeBodyServerMain {

  private LargeBodyServerMain() {}

  public static void main(String[] args) throws Exception {
    Path root = Path.of(args[0]);
    String key = args[1];
    long size = Long.parseLong(args[2]);
    TiersConfig tiers = TiersConfig.defaults()
        .withDisk(new TiersConfig.Disk(true, root, size * 2, Duration.ofSeconds(5)));
    ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
    try (TieredStore store = TieredStore.open(tiers,
        new L1Store(1 << 20, Duration.ZERO, Clock.systemUTC()), Clock.systemUTC(), timers)) {
      EntryHead head = new EntryHead(key, 200,
          HeaderList.of(List.of(new HeaderList.Field("content-type", "application/octet-stream"))),
          Instant.now(), Duration.ZERO, Duration.ofHours(1), ReuseRules.NONE, Map.of(), size);
      store.disk().orElseThrow().putStream(head, new PatternBytes(size)).join();
      BodyTokens tokens = BodyTokens.random();
      try (BodyEndpoint endpoint = BodyEndpoint.start(new InetSocketAddress("127.0.0.1", 0),
          new StoredBodies(store), tokens, new BodyStats(), Clock.systemUTC())) {
        String version = BodyTokens.version(head.responseTime(), size);
        System.out.println("port=" + endpoint.port());
        System.out.flush();
        // Tokens are single-use and short-lived: the test asks for one per request, by a line
        // naming the key ("token" for the stored one, "missing" for another); it closes stdin
        // when done.
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = commands.readLine()) != null; ) {
          String tokenKey = line.equals("missing") ? key + "-other" : key;
          System.out.println(tokens.issue(tokenKey, version, "edgecache; hit"));
          System.out.flush();
        }
      }
    } finally {
      timers.shutdownNow();
    }
    long peak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    System.out.println("peakHeap=" + peak);
  }
}
