package io.edgecache.extproc.purge;

import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.store.TieredStore;
import io.edgecache.proto.purge.v1.PurgeKind;
import java.time.Clock;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;

/**
 * Applies purges to this node's tiers.
 *
 * <p>Memory is purged at once: every variant the rule covers is removed (hard) or made stale
 * (soft); tag purges find their keys through the {@link PurgeScreen}'s tag index, the other
 * kinds scan the keys. Below memory each purge becomes a rule of the {@link PurgeScreen} the
 * store was built with. Hard purges also delete from the lower tiers the keys they removed from
 * memory (and an exact URL's key in any case): from disk on every node, from the shared tiers
 * on the one node the control plane names.
 */
public final class NodePurger {

  private final TieredStore tiers;
  private final PurgeScreen screen;
  private final Clock clock;

  /** Purges {@code tiers}, which must have been opened with {@code screen} as its purge hooks. */
  public NodePurger(TieredStore tiers, PurgeScreen screen, Clock clock) {
    this.tiers = tiers;
    this.screen = screen;
    this.clock = clock;
  }

  /** Applies {@code rule}; {@code shared} when this node also purges the shared tiers. */
  synchronized void apply(PurgeRule rule, boolean shared) {
    Instant now = clock.instant();
    screen.add(rule, now);
    // A tag purge looks only at the keys indexed under the tag; the others scan the key set.
    Iterable<String> candidates = rule.kind() == PurgeKind.TAG
        ? screen.inMemoryTagged(rule.value(), !rule.soft())
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

  private CachedResponse judge(PurgeRule rule, Instant appliedAt, String uri,
      CachedResponse entry) {
    // Received at the very instant of the purge counts as before it: over-purging is safe.
    if (entry.responseTime().isAfter(appliedAt) || !rule.covers(uri, entry, screen.tags())) {
      return entry;
    }
    return rule.soft() ? entry.staleFrom(appliedAt) : null;
  }
}
