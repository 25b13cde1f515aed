package io.edgecache.extproc.purge;

import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.cache.L1Store;
import io.edgecache.extproc.store.PurgeHooks;
import io.edgecache.proto.purge.v1.PurgeKind;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The purges applied recently, as the store consults them while it works: the tiers below
 * memory cannot be enumerated cheaply, so each purge becomes a screening rule there, and an
 * entry read back from disk, Redis or S3 that was received before the purge and falls under it
 * is treated as purged (or stale) instead of being served or promoted. It also keeps the tag
 * index of memory, fed by every store into memory, that tag purges start from.
 *
 * <p>Given to the store when it is built ({@link io.edgecache.extproc.store.TieredStore#open});
 * the {@link NodePurger} adds the purges it applies.
 */
public final class PurgeScreen implements PurgeHooks {

  /** A purge applied at {@code appliedAt}; it screens entries received until then. */
  private record Screening(PurgeRule rule, Instant appliedAt) {}

  private final SurrogateKeys tags;
  private final Duration retention;
  private final L1Store memory;
  private final TagIndex tagIndex;
  /**
   * In the order applied; replaced whole by {@link #add} (which its one caller serialises), so
   * readers (every lower-tier read) never lock.
   */
  private volatile Screening[] screenings = new Screening[0];

  /** Screens with purges kept for {@code retention}; indexes the tags of {@code memory}'s keys. */
  public PurgeScreen(SurrogateKeys tags, Duration retention, L1Store memory) {
    this.tags = tags;
    this.retention = retention;
    this.memory = memory;
    this.tagIndex = new TagIndex(tags, uri -> memory.uris().contains(uri));
  }

  @Override
  public void storedInMemory(String uri, CachedResponse entry) {
    tagIndex.record(uri, entry, memory.uris().size());
  }

  @Override
  public Set<String> tagsOf(CachedResponse entry) {
    return tags.of(entry.headers());
  }

  /**
   * The entry as the purges applied since it was received leave it, or null when purged. Runs
   * on every read from a lower tier: it looks at the newest purges only, down to the first one
   * applied before the entry was received, and reads the entry's tags at most once.
   */
  @Override
  public CachedResponse screen(String uri, CachedResponse entry) {
    Screening[] rules = screenings;
    Set<String> entryTags = null;
    CachedResponse judged = entry;
    for (int i = rules.length - 1; i >= 0 && !entry.responseTime().isAfter(rules[i].appliedAt()); i--) {
      PurgeRule rule = rules[i].rule();
      if (!rule.mayCover(uri)) {
        continue;
      }
      if (rule.kind() == PurgeKind.TAG) {
        entryTags = entryTags == null ? tagsOf(entry) : entryTags;
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

  /** Screens with {@code rule} from now on, dropping purges older than the retention. */
  void add(PurgeRule rule, Instant now) {
    List<Screening> kept = new ArrayList<>();
    for (Screening old : screenings) {
      if (!old.appliedAt().plus(retention).isBefore(now)) {
        kept.add(old);
      }
    }
    kept.add(new Screening(rule, now));
    screenings = kept.toArray(Screening[]::new);
  }

  /** The memory keys indexed under {@code tag}; {@code forget} drops them from the index. */
  List<String> inMemoryTagged(String tag, boolean forget) {
    return tagIndex.uris(tag, forget);
  }

  SurrogateKeys tags() {
    return tags;
  }
}
