package io.edgecache.extproc.body;

import io.edgecache.extproc.store.BodyLocation;
import io.edgecache.extproc.store.TieredStore;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** Opens the stored body of a key from the tiers that hold large entries: disk, then S3. */
public final class StoredBodies {

  private final TieredStore tiers;

  public StoredBodies(TieredStore tiers) {
    this.tiers = tiers;
  }

  /** The body stored under {@code key}, or empty when no tier has it (any more). */
  CompletableFuture<Optional<StoredBody>> open(String key) {
    return tiers.openBody(key).thenApply(found -> found.map(location ->
        location instanceof BodyLocation.OnDisk onDisk
            ? new DiskBody(onDisk.file())
            : new S3Body((BodyLocation.InS3) location)));
  }
}
