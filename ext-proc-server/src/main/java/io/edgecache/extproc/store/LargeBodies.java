package io.edgecache.extproc.store;

import io.edgecache.extproc.store.tier.BodySpool;
import io.edgecache.extproc.store.tier.EntryFiles;
import io.edgecache.extproc.store.tier.EntryObjects;
import io.edgecache.extproc.store.tier.Tier;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Large bodies kept out of the heap: recorded to an entry file on this node's disk, streamed to
 * clients from it or, when it is not there, from S3, and copied from S3 to the disk after a hit
 * so the next ones stream locally. Which tiers do this is read from their capabilities.
 */
final class LargeBodies {

  /** The lane of the tier that keeps entry files on this node (the disk); null when none. */
  private final TierLane filesLane;
  private final EntryFiles files;
  /** The lane of the cache reserve (S3), null when off: bodies not on disk stream from it. */
  private final TierLane objectsLane;
  /** Whether large bodies are recorded to disk and streamed by the body endpoint. */
  private final boolean streams;
  /** Keys being copied from S3 to this disk, so concurrent hits start one copy. */
  private final Set<String> promotingToDisk = ConcurrentHashMap.newKeySet();

  LargeBodies(List<TierLane> lanes, boolean bodyEndpoint) {
    this.filesLane = laneWith(lanes, Tier::files);
    this.files = filesLane == null ? null : filesLane.tier.files().orElseThrow();
    this.objectsLane = laneWith(lanes, Tier::objects);
    this.streams = files != null && bodyEndpoint;
  }

  /** The first lane whose tier offers {@code capability}, or null. */
  private static TierLane laneWith(List<TierLane> lanes, Function<Tier, Optional<?>> capability) {
    return lanes.stream().filter(lane -> capability.apply(lane.tier).isPresent())
        .findFirst().orElse(null);
  }

  boolean streams() {
    return streams;
  }

  Optional<EntryFiles> files() {
    return Optional.ofNullable(files);
  }

  /** The lane entry files are written through; only when {@link #streams}. */
  TierLane filesLane() {
    return filesLane;
  }

  /** Whether the body under {@code uri} can still be streamed: one stat, or S3 may have it. */
  boolean mayStream(String uri) {
    return streams && (files.has(uri) || objectsLane != null);
  }

  /**
   * Starts recording a body to disk; null when large bodies are not streamed. A spool that falls
   * behind or fails counts as a shed write of the disk tier.
   */
  BodySpool spool(long maxPendingBytes) {
    return streams ? files.openSpool(maxPendingBytes, filesLane.stats.shedWrites::increment) : null;
  }

  /**
   * Commits a spooled body as the entry file of {@code head}, counted in the disk's stats.
   * Completes with the file's length, or null when the write failed.
   */
  CompletableFuture<Long> commit(BodySpool spool, EntryHead head) {
    return spool.commit(head).handle((fileLength, error) -> {
      if (error != null) {
        filesLane.stats.errors.increment();
        return null;
      }
      filesLane.stats.writes.increment();
      filesLane.stats.bytesWritten.add(fileLength);
      return fileLength;
    });
  }

  /**
   * After {@code tier} returned only the head of a large entry: when the tier is remote
   * objects (S3) and this node has a disk, copies the entry to the disk in the background,
   * verified on the way. One copy per key at a time.
   */
  void promoteToDisk(Tier tier, String uri, EntryCodec.Layout layout) {
    if (files == null) {
      return;
    }
    tier.objects().ifPresent(objects -> {
      if (!promotingToDisk.add(uri)) {
        return;
      }
      objects.openEncoded(uri)
          .thenCompose(encoded -> files.putEncoded(uri, encoded, layout.totalLength()))
          .whenComplete((done, error) -> {
            promotingToDisk.remove(uri);
            if (error == null) {
              filesLane.stats.writes.increment();
              filesLane.stats.bytesWritten.add(layout.totalLength());
            } else {
              filesLane.stats.errors.increment();
            }
          });
    });
  }

  /**
   * Where the body of the large entry under {@code uri} can be streamed from: this node's disk,
   * else S3; empty when neither has it. Never completes exceptionally.
   */
  CompletableFuture<Optional<BodyLocation>> open(String uri) {
    if (files == null) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return files.openBody(uri)
        .exceptionally(error -> Optional.empty())
        .thenCompose(onDisk -> {
          if (onDisk.isPresent() || objectsLane == null) {
            return CompletableFuture.completedFuture(onDisk.map(BodyLocation.OnDisk::new));
          }
          EntryObjects objects = objectsLane.tier.objects().orElseThrow();
          return objectsLane.get(uri, 0).thenApply(found -> found
              .filter(read -> !read.isWhole()) // a body of 0 bytes is never a large entry
              .map(read -> new BodyLocation.InS3(objects, uri, read.layout())));
        });
  }
}
