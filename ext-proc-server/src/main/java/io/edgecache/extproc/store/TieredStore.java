package io.edgecache.extproc.store;

import io.edgecache.extproc.cache.CacheKey;
import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.cache.L1Store;
import io.edgecache.extproc.config.TiersConfig;
import io.edgecache.extproc.store.tier.BodySpool;
import io.edgecache.extproc.store.tier.ConfiguredTiers;
import io.edgecache.extproc.store.tier.EntryFiles;
import io.edgecache.extproc.store.tier.Found;
import io.edgecache.extproc.store.tier.SharedTags;
import io.edgecache.extproc.store.tier.Tier;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Predicate;

/**
 * The cache node's store: L1 in memory, then disk, Redis and S3 as configured.
 *
 * <p>Routing by size: a body up to {@code largeObjectBytes} goes to memory, disk and Redis; a
 * larger one to disk and S3 (and to memory only when neither is enabled, so a node without
 * lower tiers behaves as before). L1 is written synchronously; lower tiers through their
 * bounded write queues. A lookup misses L1, then asks the lower tiers in order and promotes what
 * it finds to the tiers above that hold its size class. A tier's outage, slowness or corrupt
 * entry costs a miss, never a failed lookup.
 *
 * <p>The store sees its lower tiers as {@link Tier}s and uses what some of them offer through
 * their capabilities: entry files on this node's disk ({@link Tier#files}), streamable objects
 * in S3 ({@link Tier#objects}), the shared tag index in Redis ({@link Tier#sharedTags}). Purges
 * take part through the {@link PurgeHooks} it is built with.
 */
public final class TieredStore implements AutoCloseable {

  private final L1Store l1;
  private final TierStats l1Stats = new TierStats();
  /** Lower tiers, fastest first. */
  private final List<TierLane> lanes;
  private final long largeObjectBytes;
  private final Clock clock;
  private final PurgeHooks purges;
  /**
   * Large bodies on disk and in S3. When they are streamed to clients by the body endpoint,
   * lookups read a large entry's head only, and memory holds only its head.
   */
  private final LargeBodies largeBodies;
  /** Where writes to the shared tiers are listed by tag (Redis); NONE when no tier keeps it. */
  private final SharedTags sharedTags;

  private TieredStore(L1Store l1, List<TierLane> lanes, long largeObjectBytes, Clock clock,
      boolean bodyEndpoint, PurgeHooks purges) {
    this.l1 = l1;
    this.lanes = List.copyOf(lanes);
    this.largeObjectBytes = largeObjectBytes;
    this.clock = clock;
    this.purges = purges;
    this.largeBodies = new LargeBodies(this.lanes, bodyEndpoint);
    this.sharedTags = lanes.stream().flatMap(lane -> lane.tier.sharedTags().stream())
        .findFirst().orElse(SharedTags.NONE);
    l1.onPut(purges::storedInMemory);
  }

  /** Opens the configured tiers for a node without purges (see the overload). */
  public static TieredStore open(TiersConfig config, L1Store l1, Clock clock,
      ScheduledExecutorService timers) throws IOException {
    return open(config, l1, clock, timers, PurgeHooks.NONE);
  }

  /**
   * Opens the configured tiers, with {@code purges} told of what memory stores and asked about
   * what lower tiers return; {@code timers} (the node's scheduler) times every tier call's
   * budget. Fails only for what configuration must fix (an unusable disk path, unreadable
   * credential files); an unreachable Redis or S3 is a runtime outage.
   */
  public static TieredStore open(TiersConfig config, L1Store l1, Clock clock,
      ScheduledExecutorService timers, PurgeHooks purges) throws IOException {
    List<TierLane> lanes = new ArrayList<>();
    for (ConfiguredTiers.Configured tier : ConfiguredTiers.open(config)) {
      lanes.add(new TierLane(tier.tier(), tier.holdsSmall(), tier.holdsLarge(), tier.budget(),
          new CircuitBreaker(config.breakerFailures(), config.breakerCoolDown(), clock, timers),
          config.writeQueueCapacity(), config.writeQueueBytes()));
    }
    return new TieredStore(l1, lanes, config.largeObjectBytes(), clock,
        config.bodyListen() != null, purges);
  }

  /**
   * The entry stored under {@code key}, fresh or not, or null. Already complete on an L1 hit;
   * otherwise completes on a tier's thread. Never completes exceptionally.
   */
  public CompletableFuture<CachedResponse> lookup(CacheKey key) {
    CachedResponse hit = l1.get(key);
    if (hit != null) {
      l1Stats.hits.increment();
      return CompletableFuture.completedFuture(hit);
    }
    l1Stats.misses.increment();
    return lookupBelow(key, 0);
  }

  /** The names of the tiers below memory, top down. */
  public static final List<String> LOWER_TIERS = List.of("disk", "redis", "s3");

  /**
   * Completes once every lower tier's connections are made, exceptionally when one could not
   * be (see {@link Tier#connected()}).
   */
  public CompletableFuture<Void> connected() {
    return CompletableFuture.allOf(
        lanes.stream().map(lane -> lane.tier.connected()).toArray(CompletableFuture[]::new));
  }

  /** Whether any tier below memory is enabled. */
  public boolean hasLowerTiers() {
    return !lanes.isEmpty();
  }

  /**
   * The entry stored under {@code key} in the tiers below memory, promoted upwards when found,
   * or null. Completes on a tier's thread; never exceptionally.
   */
  public CompletableFuture<CachedResponse> lookupBelowMemory(CacheKey key) {
    return lookupBelow(key, 0);
  }

  /**
   * Stores in L1 now and queues the lower-tier writes; never blocks on a lower tier. The result
   * completes true once every lower tier the entry was queued for acknowledged it (so another
   * node can read it from a shared tier), false when it was queued for none or a write failed.
   */
  public CompletableFuture<Boolean> store(CacheKey key, CachedResponse entry) {
    List<CompletableFuture<Boolean>> writes = place(key, entry, null, lanes.size());
    if (writes.isEmpty()) {
      return CompletableFuture.completedFuture(false);
    }
    return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new))
        .thenApply(done -> writes.stream().allMatch(CompletableFuture::join));
  }

  /**
   * Whether the body of a large entry stored under {@code key} can still be streamed: this
   * node's disk has the key's entry file, or S3 may have it. Cheap enough for the hit path:
   * one stat.
   */
  public boolean mayStreamBody(CacheKey key) {
    return largeBodies.mayStream(key.uri());
  }

  /** Whether large bodies are recorded to disk and streamed from it (see {@link #spool}). */
  public boolean streamsLargeBodies() {
    return largeBodies.streams();
  }

  /** Bodies larger than this are recorded to disk rather than memory when streaming. */
  public long largeObjectBytes() {
    return largeObjectBytes;
  }

  /**
   * Starts recording a large body to disk; null when large bodies are not streamed. At most
   * {@code maxPendingBytes} of it may wait in memory for the disk.
   */
  public BodySpool spool(long maxPendingBytes) {
    return largeBodies.spool(maxPendingBytes);
  }

  /**
   * Stores a large entry whose body was recorded to {@code spool}: the disk gets the entry
   * file, memory its head, and the other tiers that hold large entries (S3) an upload of the
   * file. Completes true once every one of them has it, false when any write failed.
   */
  public CompletableFuture<Boolean> storeSpooled(CacheKey key, CachedResponse head,
      BodySpool spool) {
    TierLane filesLane = largeBodies.filesLane();
    return largeBodies.commit(spool, EntryHead.of(key.uri(), head)).thenCompose(fileLength -> {
      if (fileLength == null) {
        return CompletableFuture.completedFuture(false);
      }
      // the disk holds one variant per URL: heads of the others no longer lead to a body
      for (CachedResponse other : l1.variants(key)) {
        if (!other.bodyInMemory()) {
          l1.remove(key, other);
        }
      }
      l1.put(key, head);
      Duration keep = head.timeToKeep(clock.instant());
      List<CompletableFuture<Boolean>> uploads = new ArrayList<>();
      boolean shared = false;
      Path file = filesLane.tier.files().orElseThrow().fileOf(key.uri());
      for (TierLane lane : lanes) {
        if (lane != filesLane && lane.holds(true)) {
          uploads.add(lane.enqueue(PendingWrite.ofFile(key.uri(), file, fileLength, keep)));
          shared |= lane.tier.shared();
        }
      }
      if (shared) {
        listUnderTags(key, head, keep);
      }
      return CompletableFuture.allOf(uploads.toArray(CompletableFuture[]::new))
          .thenApply(done -> uploads.stream().allMatch(CompletableFuture::join));
    });
  }

  /** Removes the entry from every tier (a purge). */
  public CompletableFuture<Void> invalidate(CacheKey key) {
    l1.invalidate(key);
    return CompletableFuture.allOf(
        lanes.stream().map(lane -> lane.remove(key.uri())).toArray(CompletableFuture[]::new));
  }

  /**
   * Removes the entry stored under {@code uri} from the tiers below memory: the node's own
   * (disk) always, the shared ones (Redis, S3) only when {@code shared}, so a purge that every
   * node applies costs the shared tiers one delete.
   */
  public CompletableFuture<Void> removeBelowMemory(String uri, boolean shared) {
    return CompletableFuture.allOf(lanes.stream()
        .filter(lane -> shared || !lane.tier.shared())
        .map(lane -> lane.remove(uri))
        .toArray(CompletableFuture[]::new));
  }

  /**
   * Takes from the shared tag index the keys listed under {@code tag} that {@code which}
   * accepts: entries any node wrote to Redis or S3. Empty when Redis is off or unreachable.
   */
  public CompletableFuture<List<String>> takeSharedTagged(String tag, Predicate<String> which) {
    return sharedTags.takeTagged(tag, which).exceptionally(error -> List.of());
  }

  /** The entry files on this node's disk, when enabled: large-object hits stream from them. */
  public Optional<EntryFiles> disk() {
    return largeBodies.files();
  }

  public L1Store l1() {
    return l1;
  }

  public TierStats l1Stats() {
    return l1Stats;
  }

  /** Stats of the lower tier named {@code name} ("disk", "redis", "s3"), if enabled. */
  public Optional<TierStats> stats(String name) {
    return lane(name).map(lane -> lane.stats);
  }

  /** The state of the named tier's circuit breaker, if enabled. */
  public Optional<CircuitBreaker.State> breakerState(String name) {
    return lane(name).map(TierLane::breakerState);
  }

  @Override
  public void close() {
    lanes.forEach(TierLane::close);
  }

  private CompletableFuture<CachedResponse> lookupBelow(CacheKey key, int index) {
    if (index == lanes.size()) {
      return CompletableFuture.completedFuture(null);
    }
    TierLane lane = lanes.get(index);
    return lane.get(key.uri(), wholeUpTo()).thenCompose(found -> {
      if (found.isEmpty()) {
        return lookupBelow(key, index + 1);
      }
      CachedResponse entry;
      try {
        entry = read(found.get(), key.uri());
      } catch (CorruptEntryException e) {
        lane.dropCorrupt(key.uri(), e.getMessage());
        return lookupBelow(key, index + 1);
      }
      CachedResponse judged = purges.screen(key.uri(), entry);
      if (judged == null) {
        return lookupBelow(key, index + 1); // purged since it was written
      }
      if (judged != entry) {
        place(key, judged, null, index); // soft-purged: its stale form is promoted
        return CompletableFuture.completedFuture(judged);
      }
      place(key, entry, found.get().whole(), index); // promote to the tiers above
      if (!found.get().isWhole()) {
        largeBodies.promoteToDisk(lane.tier, key.uri(), found.get().layout());
      }
      return CompletableFuture.completedFuture(entry);
    });
  }

  /**
   * Where the body of the large entry under {@code uri} can be streamed from: this node's disk,
   * else S3; empty when neither has it. Never completes exceptionally.
   */
  public CompletableFuture<Optional<BodyLocation>> openBody(String uri) {
    return largeBodies.open(uri);
  }

  /** The largest body a lookup reads whole; a larger one is streamed, so only its head. */
  private long wholeUpTo() {
    return largeBodies.streams() ? largeObjectBytes : Long.MAX_VALUE;
  }

  private static CachedResponse read(Found found, String key) throws CorruptEntryException {
    if (found.isWhole()) {
      return EntryCodec.decode(found.whole(), key);
    }
    return found.layout().requireKey(key).head().toHeadOnly();
  }

  /**
   * Puts an entry in L1 when it belongs there and queues it for the first {@code laneCount}
   * lower tiers that hold its size class. {@code encoded} is its tier form when already known.
   * Returns the queued writes' outcomes.
   */
  private List<CompletableFuture<Boolean>> place(CacheKey key, CachedResponse entry,
      byte[] encoded, int laneCount) {
    if (!entry.bodyInMemory()) {
      l1.put(key, entry); // a large entry's head: its body stays in the tier that has it
      return List.of();
    }
    boolean large = isLarge(entry);
    if (!large || !anyLaneHolds(true)) {
      l1.put(key, entry);
    }
    Duration keep = entry.timeToKeep(clock.instant());
    if (keep.isNegative() || keep.isZero()) {
      return List.of();
    }
    PendingWrite write = new PendingWrite(key.uri(), entry, encoded, keep);
    List<CompletableFuture<Boolean>> writes = new ArrayList<>();
    boolean shared = false;
    for (TierLane lane : lanes.subList(0, laneCount)) {
      if (lane.holds(large)) {
        writes.add(lane.enqueue(write));
        shared |= lane.tier.shared();
      }
    }
    if (shared) {
      listUnderTags(key, entry, keep);
    }
    return writes;
  }

  /** Lists a shared-tier write under its tags, best effort like every tier write. */
  private void listUnderTags(CacheKey key, CachedResponse entry, Duration keep) {
    Set<String> tags = purges.tagsOf(entry);
    if (!tags.isEmpty()) {
      // a missed listing leaves the entry to screening
      sharedTags.index(key.uri(), tags, keep).exceptionally(error -> null);
    }
  }

  private boolean isLarge(CachedResponse entry) {
    return entry.bodyLength() > largeObjectBytes;
  }

  private boolean anyLaneHolds(boolean large) {
    return lanes.stream().anyMatch(lane -> lane.holds(large));
  }

  private Optional<TierLane> lane(String name) {
    return lanes.stream().filter(lane -> lane.tier.name().equals(name)).findFirst();
  }
}
