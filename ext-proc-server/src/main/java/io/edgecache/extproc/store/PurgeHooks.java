package io.edgecache.extproc.store;

import io.edgecache.extproc.cache.CachedResponse;
import java.util.Set;

/**
 * What the store must tell purges and ask of them, declared when the store is built: purges
 * cannot enumerate the tiers below memory, so they judge what is read back from them, index
 * what memory stores, and say which tags a shared write is listed under.
 */
public interface PurgeHooks {

  /** No purges: nothing is screened, indexed or tagged. */
  PurgeHooks NONE = new PurgeHooks() {
    @Override
    public void storedInMemory(String uri, CachedResponse entry) {}

    @Override
    public CachedResponse screen(String uri, CachedResponse entry) {
      return entry;
    }

    @Override
    public Set<String> tagsOf(CachedResponse entry) {
      return Set.of();
    }
  };

  /** {@code entry} was just stored in memory under {@code uri}. */
  void storedInMemory(String uri, CachedResponse entry);

  /**
   * Judges an entry read back from a lower tier before it is served or promoted: returns it, a
   * replacement (made stale by a soft purge) or null (purged since it was written).
   */
  CachedResponse screen(String uri, CachedResponse entry);

  /** The tags {@code entry} carries, under which a write to the shared tiers is listed. */
  Set<String> tagsOf(CachedResponse entry);
}
