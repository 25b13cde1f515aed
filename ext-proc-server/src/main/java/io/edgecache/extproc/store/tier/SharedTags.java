package io.edgecache.extproc.store.tier;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * The tag index of the shared tiers (kept in Redis): which keys any node wrote to Redis or S3
 * under a tag, so one node's tag purge can delete them all.
 */
public interface SharedTags {

  /** No shared index (Redis is off): nothing is listed, a purge finds nothing. */
  SharedTags NONE = new SharedTags() {
    @Override
    public CompletableFuture<Void> index(String key, Set<String> tags, Duration timeToKeep) {
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<List<String>> takeTagged(String tag, Predicate<String> which) {
      return CompletableFuture.completedFuture(List.of());
    }
  };

  /** Lists {@code key} under each of {@code tags} for about {@code timeToKeep}. */
  CompletableFuture<Void> index(String key, Set<String> tags, Duration timeToKeep);

  /** Removes from {@code tag}'s list, and returns, the listed keys {@code which} accepts. */
  CompletableFuture<List<String>> takeTagged(String tag, Predicate<String> which);
}
