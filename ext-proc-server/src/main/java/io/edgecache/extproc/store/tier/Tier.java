package io.edgecache.extproc.store.tier;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A store tier below L1, holding entries in {@link io.edgecache.extproc.store.EntryCodec} form.
 * Every call is asynchronous and may fail (the tier is remote, or a disk); callers bound the
 * wait and treat failure as a miss. Implementations never block the calling thread.
 */
public interface Tier extends AutoCloseable {

  /** A short name for logs and stats: "disk", "redis", "s3". */
  String name();

  /**
   * Completes once the tier's connections are made, exceptionally when an attempt failed; at
   * once for a tier that keeps none open (a disk, S3's per-call HTTP client). A node reports
   * itself ready only after this settles, so its first lookups do not spend their short budget
   * on handshakes.
   */
  default CompletableFuture<Void> connected() {
    return CompletableFuture.completedFuture(null);
  }

  /**
   * Whether every node reads this tier (Redis, S3) rather than this node alone (disk): a purge
   * that every node applies deletes from a shared tier once, and writes to one are listed in
   * the shared tag index.
   */
  default boolean shared() {
    return false;
  }

  /** This tier as files on this node, when it keeps entries so (the disk). */
  default Optional<EntryFiles> files() {
    return Optional.empty();
  }

  /** This tier as streamable remote objects, when it offers that (S3). */
  default Optional<EntryObjects> objects() {
    return Optional.empty();
  }

  /** The shared tag index this tier keeps, if any (Redis). */
  default Optional<SharedTags> sharedTags() {
    return Optional.empty();
  }

  /**
   * The entry stored under {@code key}, or empty: whole when its body is at most
   * {@code wholeUpTo} bytes, else its head only (a tier that holds only small entries, or that
   * read the whole entry anyway, may return it whole).
   */
  CompletableFuture<Optional<Found>> get(String key, long wholeUpTo);

  /** Stores an encoded entry, to be kept about {@code timeToKeep} where the tier can expire. */
  CompletableFuture<Void> put(String key, byte[] encoded, Duration timeToKeep);

  /**
   * Stores an entry already encoded in {@code encodedFile} ({@code length} bytes) without
   * reading it into the heap. Only tiers that hold large entries implement it; the others
   * fail with {@link UnsupportedOperationException}.
   */
  default CompletableFuture<Void> putFile(String key, Path encodedFile, long length,
      Duration timeToKeep) {
    return CompletableFuture.failedFuture(
        new UnsupportedOperationException(name() + " tier stores whole byte arrays only"));
  }

  CompletableFuture<Void> remove(String key);

  /** Sends writes this tier batched ({@link #put} calls since the last flush). */
  default void flush() {}

  @Override
  void close();
}
