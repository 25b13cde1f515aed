package io.edgecache.extproc.purge;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.edgecache.extproc.cache.CachedResponse;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Tag → the memory tier's keys whose responses carry it, so a tag purge touches only those.
 *
 * <p>Fed on every store into memory. Keys that left memory are not removed one by one (Caffeine
 * evicts without telling which tags went): they are pruned in one pass once the index has seen
 * as many stores as memory holds keys. A key listed that is no longer stored only costs a
 * lookup; a stored key missing from the index would escape a purge, so recording and pruning
 * share one lock and a key is recorded only after it is stored.
 */
final class TagIndex {

  private static final int MIN_PRUNE_INTERVAL = 10_000;

  private final SurrogateKeys tags;
  private final Predicate<String> stored;
  @GuardedBy("this")
  private final Map<String, Set<String>> urisByTag = new HashMap<>();
  @GuardedBy("this")
  private int recordsSincePrune;

  /** {@code stored} says whether memory still holds a key. */
  TagIndex(SurrogateKeys tags, Predicate<String> stored) {
    this.tags = tags;
    this.stored = stored;
  }

  /** Notes the tags of {@code entry}, just stored under {@code uri}; memory holds {@code storedKeys}. */
  synchronized void record(String uri, CachedResponse entry, int storedKeys) {
    for (String tag : tags.of(entry.headers())) {
      urisByTag.computeIfAbsent(tag, t -> new HashSet<>()).add(uri);
    }
    if (++recordsSincePrune > Math.max(MIN_PRUNE_INTERVAL, storedKeys)) {
      recordsSincePrune = 0;
      urisByTag.values().removeIf(uris -> {
        uris.removeIf(stored.negate());
        return uris.isEmpty();
      });
    }
  }

  /** The keys recorded with {@code tag}; {@code forget} drops them from the index. */
  synchronized List<String> uris(String tag, boolean forget) {
    Set<String> uris = forget ? urisByTag.remove(tag) : urisByTag.get(tag);
    return uris == null ? List.of() : List.copyOf(uris);
  }
}
