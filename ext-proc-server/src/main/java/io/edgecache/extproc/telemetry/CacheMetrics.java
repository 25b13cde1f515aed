package io.edgecache.extproc.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.Meter;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The cache node's figures. Counts live in LongAdders (cheap on the hit path, readable for the
 * stats API) and are published to OpenTelemetry through callbacks, so both views agree.
 */
public final class CacheMetrics {

  private static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("outcome");
  private static final AttributeKey<String> SOURCE = AttributeKey.stringKey("source");
  private static final AttributeKey<String> MESSAGE = AttributeKey.stringKey("message");
  private static final AttributeKey<String> TIER = AttributeKey.stringKey("tier");
  private static final AttributeKey<String> RESULT = AttributeKey.stringKey("result");

  private final Map<Outcome, LongAdder> requests = new EnumMap<>(Outcome.class);
  private final LongAdder bytesFromCache = new LongAdder();
  private final LongAdder bytesFromOrigin = new LongAdder();
  private final LongAdder collapseTimeouts = new LongAdder();
  private final DoubleHistogram messageDuration;
  private final Map<String, Attributes> messageAttributes = new LinkedHashMap<>();

  /**
   * @param meter where the instruments are registered
   * @param l1Bytes the memory tier's current weight
   * @param collapseWaiting followers waiting right now
   * @param collapseOvertaken flights whose lead passed to a later request after maxWait
   * @param refreshesStarted background refreshes started so far
   */
  public CacheMetrics(Meter meter, LongSupplier l1Bytes, LongSupplier collapseWaiting,
      LongSupplier collapseOvertaken, LongSupplier refreshesStarted) {
    for (Outcome outcome : Outcome.values()) {
      requests.put(outcome, new LongAdder());
    }
    for (String message : new String[] {"request_headers", "response_headers", "response_body",
        "other"}) {
      messageAttributes.put(message, Attributes.of(MESSAGE, message));
    }
    meter.counterBuilder("edgecache.requests")
        .setDescription("Requests the cache node handled, by outcome")
        .buildWithCallback(measurement -> requests.forEach((outcome, count) ->
            measurement.record(count.sum(), Attributes.of(OUTCOME, outcome.label()))));
    meter.counterBuilder("edgecache.response.bytes").setUnit("By")
        .setDescription("Response body bytes served, by where they came from")
        .buildWithCallback(measurement -> {
          measurement.record(bytesFromCache.sum(), Attributes.of(SOURCE, "cache"));
          measurement.record(bytesFromOrigin.sum(), Attributes.of(SOURCE, "origin"));
        });
    meter.upDownCounterBuilder("edgecache.l1.bytes").setUnit("By")
        .setDescription("Weight of the entries in the memory tier")
        .buildWithCallback(measurement -> measurement.record(l1Bytes.getAsLong()));
    meter.upDownCounterBuilder("edgecache.collapse.waiting")
        .setDescription("Requests waiting for another request's origin fetch")
        .buildWithCallback(measurement -> measurement.record(collapseWaiting.getAsLong()));
    meter.counterBuilder("edgecache.collapse.timeouts")
        .setDescription("Collapsed requests released to the origin because the wait ran out")
        .buildWithCallback(measurement -> measurement.record(collapseTimeouts.sum()));
    meter.counterBuilder("edgecache.collapse.overtaken")
        .setDescription("Fetches that led their key for maxWait, after which a later miss fetched")
        .buildWithCallback(measurement -> measurement.record(collapseOvertaken.getAsLong()));
    meter.counterBuilder("edgecache.refreshes")
        .setDescription("Background refreshes of stale entries started")
        .buildWithCallback(measurement -> measurement.record(refreshesStarted.getAsLong()));
    messageDuration = meter.histogramBuilder("edgecache.extproc.message.duration").setUnit("ms")
        .setDescription("Time the server took to answer an ext_proc message")
        .build();
  }

  /**
   * Publishes a store tier's figures: {@code edgecache.tier.*} with a {@code tier} attribute.
   * Latency is a total of call time with a call count (mean = time / calls), which is what the
   * tiers keep without a histogram on their hot path.
   */
  public void registerTier(Meter meter, String tier, TierFigures figures) {
    Attributes attributes = Attributes.of(TIER, tier);
    meter.counterBuilder("edgecache.tier.hits").buildWithCallback(
        m -> m.record(figures.hits(), attributes));
    meter.counterBuilder("edgecache.tier.misses").buildWithCallback(
        m -> m.record(figures.misses(), attributes));
    meter.counterBuilder("edgecache.tier.errors").buildWithCallback(
        m -> m.record(figures.errors(), attributes));
    meter.counterBuilder("edgecache.tier.shed_writes").buildWithCallback(
        m -> m.record(figures.shedWrites(), attributes));
    meter.counterBuilder("edgecache.tier.read").setUnit("By").buildWithCallback(
        m -> m.record(figures.bytesRead(), attributes));
    meter.counterBuilder("edgecache.tier.written").setUnit("By").buildWithCallback(
        m -> m.record(figures.bytesWritten(), attributes));
    meter.counterBuilder("edgecache.tier.calls").buildWithCallback(
        m -> m.record(figures.calls(), attributes));
    meter.counterBuilder("edgecache.tier.call_time").setUnit("ns").buildWithCallback(
        m -> m.record(figures.callNanos(), attributes));
  }

  /**
   * Publishes cluster-wide collapsing's figures: {@code edgecache.collapse.cluster.leases}
   * with {@code result} won or lost, and counters of fills received, lease takeovers and
   * renewals, and claims made without Redis.
   */
  public void registerCluster(Meter meter, ClusterFigures figures) {
    meter.counterBuilder("edgecache.collapse.cluster.leases")
        .setDescription("Cluster leases asked for, by whether this node won them")
        .buildWithCallback(m -> {
          m.record(figures.leasesWon(), Attributes.of(RESULT, "won"));
          m.record(figures.leasesLost(), Attributes.of(RESULT, "lost"));
        });
    meter.counterBuilder("edgecache.collapse.cluster.fills")
        .setDescription("Entries another node fetched, served here after its fill notice")
        .buildWithCallback(m -> m.record(figures.fillsReceived()));
    meter.counterBuilder("edgecache.collapse.cluster.takeovers")
        .setDescription("Leases taken over after their holder died or led past maxWait")
        .buildWithCallback(m -> m.record(figures.leaseTakeovers()));
    meter.counterBuilder("edgecache.collapse.cluster.renewals")
        .setDescription("Leases renewed while their fetch was still running")
        .buildWithCallback(m -> m.record(figures.leaseRenewals()));
    meter.counterBuilder("edgecache.collapse.cluster.unavailable")
        .setDescription("Misses fetched without asking the cluster: Redis was unreachable")
        .buildWithCallback(m -> m.record(figures.unavailable()));
  }

  /** What cluster-wide collapsing counts, as {@link #registerCluster} reads it. */
  public interface ClusterFigures {
    long leasesWon();

    long leasesLost();

    long fillsReceived();

    long leaseTakeovers();

    long leaseRenewals();

    long unavailable();
  }

  /**
   * Publishes the memory responses being recorded hold together ({@code
   * edgecache.recordings.bytes}, bounded by the memory tier's size) and the recordings dropped
   * because it was full ({@code edgecache.recordings.refused}).
   */
  public void registerRecordings(Meter meter, LongSupplier heldBytes, LongSupplier refused) {
    meter.upDownCounterBuilder("edgecache.recordings.bytes").setUnit("By")
        .setDescription("Body bytes held in memory by responses being recorded")
        .buildWithCallback(m -> m.record(heldBytes.getAsLong()));
    meter.counterBuilder("edgecache.recordings.refused")
        .setDescription("Responses passed on unrecorded: the recordings' memory was full")
        .buildWithCallback(m -> m.record(refused.getAsLong()));
  }

  /**
   * Publishes the large-body endpoint's figures: {@code edgecache.body.responses} by
   * {@code result} (disk, s3, missing, refused) and {@code edgecache.body.served} bytes.
   */
  public void registerBodies(Meter meter, BodyFigures figures) {
    meter.counterBuilder("edgecache.body.responses")
        .setDescription("Requests the large-body endpoint answered, by where the body came from")
        .buildWithCallback(m -> {
          m.record(figures.servedFromDisk(), Attributes.of(RESULT, "disk"));
          m.record(figures.servedFromS3(), Attributes.of(RESULT, "s3"));
          m.record(figures.missingBodies(), Attributes.of(RESULT, "missing"));
          m.record(figures.refusedRequests(), Attributes.of(RESULT, "refused"));
        });
    meter.counterBuilder("edgecache.body.served").setUnit("By").buildWithCallback(
        m -> m.record(figures.bytesServed()));
  }

  /** What the large-body endpoint counts, as {@link #registerBodies} reads it. */
  public interface BodyFigures {
    long servedFromDisk();

    long servedFromS3();

    /** Valid tokens whose body no tier held any more (or held in another version). */
    long missingBodies();

    /** Requests without a valid token. */
    long refusedRequests();

    long bytesServed();
  }

  /** What a tier counts, as {@link #registerTier} reads it. */
  public interface TierFigures {
    long hits();

    long misses();

    long errors();

    long shedWrites();

    long bytesRead();

    long bytesWritten();

    long calls();

    long callNanos();
  }

  public void request(Outcome outcome, long bodyBytes) {
    requests.get(outcome).increment();
    if (bodyBytes > 0) {
      (outcome.servedFromCache() ? bytesFromCache : bytesFromOrigin).add(bodyBytes);
    }
  }

  public void collapseTimeout() {
    collapseTimeouts.increment();
  }

  /** Records how long answering one ext_proc message took. */
  public void message(String type, long nanos) {
    Attributes attributes = messageAttributes.get(type);
    messageDuration.record(nanos / 1e6, attributes != null ? attributes
        : messageAttributes.get("other"));
  }

  public long requests(Outcome outcome) {
    return requests.get(outcome).sum();
  }

  public long bytesFromCache() {
    return bytesFromCache.sum();
  }

  public long bytesFromOrigin() {
    return bytesFromOrigin.sum();
  }

  public long collapseTimeouts() {
    return collapseTimeouts.sum();
  }

  /** Share of requests answered from the cache (0 when there were none). */
  public double hitRatio() {
    long fromCache = 0;
    long total = 0;
    for (Map.Entry<Outcome, LongAdder> entry : requests.entrySet()) {
      long count = entry.getValue().sum();
      total += count;
      if (entry.getKey().servedFromCache()) {
        fromCache += count;
      }
    }
    return total == 0 ? 0 : (double) fromCache / total;
  }
}
