package io.edgecache.extproc.cache;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * The stored responses for one primary key, one per secondary key (RFC 9111 §4.1), newest
 * first. Immutable: an update builds a new set, so readers never see a half-made one.
 */
final class Variants {

  /** Enough for Accept-Encoding times a few languages; the oldest goes beyond it. */
  static final int MAX_VARIANTS = 16;

  private final List<CachedResponse> entries;

  private Variants(List<CachedResponse> entries) {
    this.entries = entries;
  }

  static Variants of(CachedResponse entry) {
    return new Variants(List.of(entry));
  }

  List<CachedResponse> entries() {
    return entries;
  }

  /** The newest entry {@code matches} accepts, or null. */
  CachedResponse find(Predicate<CachedResponse> matches) {
    for (CachedResponse entry : entries) {
      if (matches.test(entry)) {
        return entry;
      }
    }
    return null;
  }

  /** A set with {@code entry} in front, replacing the variant with the same secondary key. */
  Variants with(CachedResponse entry) {
    List<CachedResponse> updated = new ArrayList<>(entries.size() + 1);
    updated.add(entry);
    for (CachedResponse existing : entries) {
      if (!existing.varyValues().equals(entry.varyValues()) && updated.size() < MAX_VARIANTS) {
        updated.add(existing);
      }
    }
    return new Variants(List.copyOf(updated));
  }

  /** A set without {@code entry}; null when nothing is left. */
  Variants without(CachedResponse entry) {
    List<CachedResponse> updated = new ArrayList<>(entries);
    updated.remove(entry);
    return updated.isEmpty() ? null : new Variants(List.copyOf(updated));
  }

  /**
   * A set where each entry is replaced by what {@code rewrite} returns for it (itself when
   * untouched, null to drop it); null when nothing is left.
   */
  Variants rewritten(UnaryOperator<CachedResponse> rewrite) {
    List<CachedResponse> updated = new ArrayList<>(entries.size());
    boolean changed = false;
    for (CachedResponse entry : entries) {
      CachedResponse replacement = rewrite.apply(entry);
      changed |= replacement != entry;
      if (replacement != null) {
        updated.add(replacement);
      }
    }
    if (!changed) {
      return this;
    }
    return updated.isEmpty() ? null : new Variants(List.copyOf(updated));
  }

  int weight(String key) {
    int weight = 0;
    for (CachedResponse entry : entries) {
      weight += entry.weight(key);
    }
    return weight;
  }
}
