package io.edgecache.extproc.store.http;

import io.edgecache.extproc.store.tier.DiskTier;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** Opens the stored body of a key from the tiers that hold large entries: disk first. */
public final class StoredBodies {

  private final DiskTier disk;

  public StoredBodies(DiskTier disk) {
    this.disk = disk;
  }

  /** The body stored under {@code key}, or empty when no tier has it (any more). */
  CompletableFuture<Optional<StoredBody>> open(String key) {
    return disk.openBody(key).thenApply(found -> found.map(DiskBody::new));
  }
}
