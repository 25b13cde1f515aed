package io.edgecache.extproc.grpc;

import com.google.protobuf.ByteString;
import io.edgecache.extproc.cache.RecordingBudget;
import io.edgecache.extproc.store.tier.BodySpool;
import java.util.function.Supplier;

/**
 * Collects a response body chunk by chunk, up to a byte limit. A body is kept in memory as the
 * ByteStrings gRPC delivered (no copy; concatenation builds a rope) until it outgrows the
 * memory limit; from then on it is written to a disk spool, when the store offers one, so a
 * body larger than the heap can still be recorded. What it keeps in memory is reserved from
 * the node's {@link RecordingBudget} until it is handed to the store or dropped.
 */
final class BodyRecorder {

  /** What became of a chunk. */
  enum Appended {
    KEPT,
    /** The body outgrew its size limit, or memory with no disk to spool to: the response's nature. */
    OVER_LIMIT,
    /**
     * The node's recordings hold all the memory they may, or the disk spool fell behind or failed:
     * this moment's, not the response's; not recorded this time.
     */
    NO_ROOM
  }

  private final long maxBytes;
  private final long memoryLimit;
  /** Opens a spool when the body leaves memory; supplies null when there is none. */
  private final Supplier<BodySpool> spools;
  private final RecordingBudget budget;
  private ByteString body = ByteString.EMPTY;
  private BodySpool spool;
  private long length;
  /** Bytes of {@link #budget} this recording holds: its body while in memory. */
  private long reserved;

  BodyRecorder(long maxBytes, long memoryLimit, Supplier<BodySpool> spools,
      RecordingBudget budget) {
    this.maxBytes = maxBytes;
    this.memoryLimit = Math.min(memoryLimit, maxBytes);
    this.spools = spools;
    this.budget = budget;
  }

  /** Adds a chunk; anything but KEPT means the body was dropped. */
  Appended append(ByteString chunk) {
    long total = length + chunk.size();
    if (total > maxBytes) {
      drop();
      return Appended.OVER_LIMIT;
    }
    if (spool == null && total > memoryLimit) {
      spool = spools.get();
      if (spool == null) {
        drop();
        return Appended.OVER_LIMIT;
      }
      if (!spool.append(body)) {
        drop();
        return Appended.NO_ROOM;
      }
      body = ByteString.EMPTY;
      handedOver(); // on its way to disk now
    }
    if (spool != null) {
      if (!spool.append(chunk)) {
        drop();
        return Appended.NO_ROOM;
      }
    } else {
      if (!budget.reserve(chunk.size())) {
        drop();
        return Appended.NO_ROOM;
      }
      reserved += chunk.size();
      body = body.concat(chunk);
    }
    length = total;
    return Appended.KEPT;
  }

  /** The body kept in memory now belongs to whoever stores it: gives back its reservation. */
  void handedOver() {
    budget.release(reserved);
    reserved = 0;
  }

  /** Whether the body went to a spool rather than memory. */
  boolean spooled() {
    return spool != null;
  }

  /** The spool holding the body, or null when it is in memory. */
  BodySpool spool() {
    return spool;
  }

  /** The body when held in memory; empty when spooled. */
  ByteString body() {
    return body;
  }

  long length() {
    return length;
  }

  /** Discards what was recorded, spool included. */
  void drop() {
    if (spool != null) {
      spool.abandon();
      spool = null;
    }
    body = ByteString.EMPTY;
    handedOver();
  }
}
