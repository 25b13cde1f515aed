package io.edgecache.extproc.cache;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * The stored responses for one primary key, one per secondary key (RFC 9111 §4.1), newest
 * first. Immutable: an update builds a new set, so readers never see a half-made one.
 *
 * <p>L1 holds a key's set as a stored value: the {@link CachedResponse} itself when there is
 * one variant (the usual case, a response without Vary), a {@code Variants} only when there
 * are several. That saves a holder and a list, two objects, per key. The static methods take
 * and return such stored values; null stands for an empty set.
 */
final class Variants {

  /** Enough for Accept-Encoding times a few languages; the oldest goes beyond it. */
  static final int MAX_VARIANTS = 16;

  /** Two or more, newest first. */
  private final CachedResponse[] entries;

  private Variants(CachedResponse[] entries) {
    this.entries = entries;
  }

  /** The stored value for {@code entries}, newest first: null, the one entry, or a set. */
  private static Object of(List<CachedResponse> entries) {
    return switch (entries.size()) {
      case 0 -> null;
      case 1 -> entries.get(0);
      default -> new Variants(entries.toArray(new CachedResponse[0]));
    };
  }

  /** The entries of {@code stored}, newest first. */
  static List<CachedResponse> entries(Object stored) {
    return stored instanceof Variants several
        ? List.of(several.entries) : List.of((CachedResponse) stored);
  }

  /** The newest entry of {@code stored} that {@code matches} accepts, or null. */
  static CachedResponse find(Object stored, Predicate<CachedResponse> matches) {
    if (stored instanceof CachedResponse only) {
      return matches.test(only) ? only : null;
    }
    for (CachedResponse entry : ((Variants) stored).entries) {
      if (matches.test(entry)) {
        return entry;
      }
    }
    return null;
  }

  /** {@code stored} with {@code entry} in front, replacing the variant of its secondary key. */
  static Object with(Object stored, CachedResponse entry) {
    if (stored == null) {
      return entry;
    }
    List<CachedResponse> updated = new ArrayList<>();
    updated.add(entry);
    for (CachedResponse existing : entries(stored)) {
      if (!existing.varyValues().equals(entry.varyValues()) && updated.size() < MAX_VARIANTS) {
        updated.add(existing);
      }
    }
    return of(updated);
  }

  /** {@code stored} without {@code entry}; null when nothing is left. */
  static Object without(Object stored, CachedResponse entry) {
    List<CachedResponse> updated = new ArrayList<>(entries(stored));
    updated.remove(entry);
    return of(updated);
  }

  /**
   * {@code stored} with each entry replaced by what {@code rewrite} returns for it (itself when
   * untouched, null to drop it); null when nothing is left.
   */
  static Object rewritten(Object stored, UnaryOperator<CachedResponse> rewrite) {
    List<CachedResponse> updated = new ArrayList<>();
    boolean changed = false;
    for (CachedResponse entry : entries(stored)) {
      CachedResponse replacement = rewrite.apply(entry);
      changed |= replacement != entry;
      if (replacement != null) {
        updated.add(replacement);
      }
    }
    return changed ? of(updated) : stored;
  }

  static int weight(Object stored, String key) {
    if (stored instanceof CachedResponse only) {
      return only.weight(key);
    }
    return Arrays.stream(((Variants) stored).entries).mapToInt(entry -> entry.weight(key)).sum();
  }
}
