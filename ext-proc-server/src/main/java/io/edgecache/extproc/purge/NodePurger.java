package io.edgecache.extproc.purge;

import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.cache.L1Store;
import io.edgecache.extproc.store.TieredStore;
import io.edgecache.proto.purge.v1.PurgeKind;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Applies purges to this node's tiers.
 *
 * <p>Memory is purged at once: every variant the rule covers is removed (hard) or made stale
 * (soft); tag purges find their keys through a {@link TagIndex}, the other kinds scan the keys.
 * The tiers below memory cannot be enumerated cheaply, so each purge also becomes a screening
 * rule there: an entry read back from disk, Redis or S3 that was received before the
 * purge and falls under it is treated as purged (or stale) instead of being served or
 * promoted. Hard purges also delete from the lower tiers the keys they removed from memory (and
 * an exact URL's key in any case): from disk on every node, from the shared tiers on the one
 * node the control plane names.
 */
public final class NodePurger {

  /** A purge applied at {@code appliedAt}; it screens entries received until then. */
  private record Screening(PurgeRule rule, Instant appliedAt) {}

  private final TieredStore tiers;
  private final SurrogateKeys tags;
  private final Clock clock;
  private final Duration retention;
  /**
   * In the order applied; replaced whole under the lock, so readers (every lower-tier read)
   * never lock.
   */
  private volatile Screening[] screenings = new Screening[0];
  private final TagIndex tagIndex;

  public NodePurger(TieredStore tiers, SurrogateKeys tags, Clock clock, Duration retention) {
    this.tiers = tiers;
    this.tags = tags;
    this.clock = clock;
    this.retention = retention;
    L1Store memory = tiers.l1();
    this.tagIndex = new TagIndex(tags, uri -> memory.uris().contains(uri));
    memory.onPut((uri, entry) -> tagIndex.record(uri, entry, memory.uris().size()));
    tiers.screenLowerTiers(this::screen);
    tiers.indexSharedTags(entry -> tags.of(entry.headers()));
  }

  /** Applies {@code rule}; {@code shared} when this node also purges the shared tiers. */
  public synchronized void apply(PurgeRule rule, boolean shared) {
    Instant now = clock.instant();
    List<Screening> kept = new ArrayList<>();
    for (Screening old : screenings) {
      if (!old.appliedAt().plus(retention).isBefore(now)) {
        kept.add(old);
      }
    }
    kept.add(new Screening(rule, now));
    screenings = kept.toArray(Screening[]::new);
    // A tag purge looks only at the keys indexed under the tag; the others scan the key set.
    Iterable<String> candidates = rule.kind() == PurgeKind.TAG
        ? tagIndex.uris(rule.value(), !rule.soft())
        : tiers.l1().uris();
    tiers.l1().partials().invalidateAll(); // incomplete responses: cheap to fetch again
    Set<String> removed = new HashSet<>();
    for (String uri : candidates) {
      if (rule.mayCover(uri)) {
        tiers.l1().rewrite(uri, entry -> {
          CachedResponse judged = judge(rule, now, uri, entry);
          if (judged == null) {
            removed.add(uri);
          }
          return judged;
        });
      }
    }
    if (rule.kind() == PurgeKind.URL && !rule.soft()) {
      removed.add(rule.value()); // whether or not memory held it
    }
    // Keys known to be purged are deleted below memory too; the rest is left to screening.
    for (String uri : removed) {
      tiers.removeBelowMemory(uri, shared);
    }
    if (shared && rule.kind() == PurgeKind.TAG && !rule.soft()) {
      // Once per purge: what every node wrote to Redis/S3 under the tag, from its Redis set.
      tiers.takeSharedTagged(rule.value(), rule::mayCover)
          .thenAccept(uris -> uris.forEach(uri -> tiers.removeBelowMemory(uri, true)));
    }
  }

  /**
   * Forgets everything this node holds: for a node that was away longer than the control
   * plane's purge log reaches back, so the purges it missed cannot be replayed.
   */
  public void dropLocalTiers() {
    apply(new PurgeRule(PurgeKind.ALL, false, "", ""), false);
  }

  /**
   * The entry as the purges applied since it was received leave it, or null when purged. Runs
   * on every read from a lower tier: it looks at the newest purges only, down to the first one
   * applied before the entry was received, and reads the entry's tags at most once.
   */
  private CachedResponse screen(String uri, CachedResponse entry) {
    Screening[] rules = screenings;
    Set<String> entryTags = null;
    CachedResponse judged = entry;
    for (int i = rules.length - 1; i >= 0 && !entry.responseTime().isAfter(rules[i].appliedAt()); i--) {
      PurgeRule rule = rules[i].rule();
      if (!rule.mayCover(uri)) {
        continue;
      }
      if (rule.kind() == PurgeKind.TAG) {
        entryTags = entryTags == null ? tags.of(entry.headers()) : entryTags;
        if (!entryTags.contains(rule.value())) {
          continue;
        }
      }
      if (!rule.soft()) {
        return null;
      }
      judged = judged.staleFrom(rules[i].appliedAt());
    }
    return judged;
  }

  private CachedResponse judge(PurgeRule rule, Instant appliedAt, String uri,
      CachedResponse entry) {
    // Received at the very instant of the purge counts as before it: over-purging is safe.
    if (entry.responseTime().isAfter(appliedAt) || !rule.covers(uri, entry, tags)) {
      return entry;
    }
    return rule.soft() ? entry.staleFrom(appliedAt) : null;
  }
}
