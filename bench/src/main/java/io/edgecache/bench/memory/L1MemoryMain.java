package io.edgecache.bench.memory;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.edgecache.bench.Flags;
import io.edgecache.extproc.cache.CacheKey;
import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.cache.L1Store;
import io.edgecache.extproc.cache.ReuseRules;
import io.edgecache.extproc.config.RoutePolicy;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.grpc.Warmup;
import io.edgecache.extproc.policy.CachePolicy;
import io.edgecache.extproc.policy.Freshness;
import io.edgecache.extproc.policy.RequestFacts;
import io.edgecache.extproc.policy.StoreVerdict;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jol.info.GraphLayout;

/**
 * Heap an L1 entry costs beyond its payload. Fills an {@link L1Store} with {@code --entries}
 * tiny responses built as the miss path builds them (headers parsed from an Envoy header map,
 * the policy's stored-header selection and freshness, one body chunk) and compares the used
 * heap after full GCs before and after.
 *
 * <p>Payload is what any cache must hold: the key's and the stored header fields' characters
 * and the body bytes. Everything else (Caffeine's node and map slot, the record, String and
 * list objects, ByteString, Instant, Durations) is overhead. Run with a fixed heap, {@code
 * -Xms2g -Xmx2g}, so heap growth does not blur the figure.
 */
public final class L1MemoryMain {

  private static final String USAGE = "[--entries 1000000]";

  private L1MemoryMain() {}

  public static void main(String[] args) throws InterruptedException, InvalidProtocolBufferException {
    Flags flags = Flags.parse(args, USAGE);
    int entries = flags.integer("entries", 1_000_000);
    flags.rejectUnknown();

    Clock clock = Clock.systemUTC();
    CachePolicy policy = new CachePolicy(new Freshness(0.1, Duration.ofDays(1)),
        "edgecache-control", false);
    L1Store store = new L1Store(Long.MAX_VALUE, Duration.ofHours(1), clock);
    long before = usedHeapAfterGc();
    long payload = 0;
    for (int i = 0; i < entries; i++) {
      CacheKey key = CacheKey.of("http", "bench.test", "/o/" + i);
      HeaderList requestHeaders = fromWire(":method", "GET", ":path", "/o/" + i);
      HeaderList responseHeaders = fromWire(":status", "200", "cache-control", "max-age=3600",
          "content-type", "text/plain", "etag", "\"" + i + "\"", "content-length", "8");
      Instant now = clock.instant();
      RequestFacts request = RequestFacts.of("GET", key, requestHeaders, now);
      StoreVerdict verdict = policy.decide(request, policy.classify(request, RoutePolicy.DEFAULT), 200,
          responseHeaders, RoutePolicy.DEFAULT, now);
      ByteString body = ByteString.copyFromUtf8(String.format(Locale.ROOT, "%08d", i));
      CachedResponse entry = new CachedResponse(200, verdict.storedHeaders(), body, now,
          Freshness.correctedInitialAge(responseHeaders, now, now), verdict.freshnessLifetime(),
          Map.of(), verdict.rules());
      store.put(key, entry);
      payload += key.uri().length() + body.size();
      for (HeaderList.Field field : entry.headers().fields()) {
        payload += field.name().length() + field.value().length();
      }
    }
    long after = usedHeapAfterGc();
    CachedResponse first = store.get(CacheKey.of("http", "bench.test", "/o/0"));
    if (first == null) {
      throw new IllegalStateException("entries were evicted; the measurement would be wrong");
    }
    double perEntry = (after - before) / (double) entries;
    double payloadPerEntry = payload / (double) entries;
    System.out.println("| entries | heap per entry B | payload per entry B | overhead per entry B |"
        + " weigher's fixed estimate B |");
    System.out.println("|---:|---:|---:|---:|---:|");
    System.out.printf(Locale.ROOT, "| %d | %.1f | %.1f | %.1f | %d |%n", entries, perEntry,
        payloadPerEntry, perEntry - payloadPerEntry, weigherFixedOverhead(clock.instant()));
    // The entry's own objects, class by class; the rest of the heap per entry is Caffeine's
    // node, its hash-table slot and its policy structures.
    // Map.of() is a JDK-wide singleton that every entry without Vary shares, and entries share
    // equal reuse rules: neither is per entry.
    GraphLayout entryGraph = GraphLayout.parseInstance(first, "http://bench.test/o/0")
        .subtract(GraphLayout.parseInstance(first.varyValues()))
        .subtract(GraphLayout.parseInstance(first.rules()));
    System.out.println();
    System.out.println("One entry's object graph (value plus its key String), by JOL:");
    System.out.println("```");
    System.out.print(entryGraph.toFootprint());
    System.out.println("```");
    System.out.printf(Locale.ROOT, "Caffeine and its map, per entry: %.1f B%n",
        perEntry - entryGraph.totalSize());
  }

  /** Header fields as the server gets them: parsed from the wire, so every String is new. */
  private static HeaderList fromWire(String... nameValues) throws InvalidProtocolBufferException {
    return HeaderList.fromEnvoy(HeaderMap.parseFrom(Warmup.headers(nameValues).toByteArray()));
  }

  /** What {@link CachedResponse#weight} charges an entry with no key, headers or body. */
  private static int weigherFixedOverhead(Instant now) {
    return new CachedResponse(200, HeaderList.of(java.util.List.of()), ByteString.EMPTY, now,
        Duration.ZERO, Duration.ofHours(1), Map.of(), ReuseRules.NONE).weight("");
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long used = Long.MAX_VALUE;
    // Repeat until a GC frees nothing more: one System.gc() may leave some garbage behind.
    for (int i = 0; i < 5; i++) {
      System.gc();
      Thread.sleep(100);
      long now = memory.getHeapMemoryUsage().getUsed();
      if (now >= used) {
        return now;
      }
      used = now;
    }
    return used;
  }
}
