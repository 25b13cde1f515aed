package io.edgecache.extproc.grpc;

import com.google.protobuf.ByteString;
import io.edgecache.extproc.store.tier.BodySpool;
import java.util.function.Supplier;

/**
 * Collects a response body chunk by chunk, up to a byte limit. A body is kept in memory as the
 * ByteStrings gRPC delivered (no copy; concatenation builds a rope) until it outgrows the
 * memory limit; from then on it is written to a disk spool, when the store offers one, so a
 * body larger than the heap can still be recorded.
 */
final class BodyRecorder {

  private final long maxBytes;
  private final long memoryLimit;
  /** Opens a spool when the body leaves memory; supplies null when there is none. */
  private final Supplier<BodySpool> spools;
  private ByteString body = ByteString.EMPTY;
  private BodySpool spool;
  private long length;

  BodyRecorder(long maxBytes, long memoryLimit, Supplier<BodySpool> spools) {
    this.maxBytes = maxBytes;
    this.memoryLimit = Math.min(memoryLimit, maxBytes);
    this.spools = spools;
  }

  /** Adds a chunk; false once the body outgrows the limit or its spool (it is then dropped). */
  boolean append(ByteString chunk) {
    long total = length + chunk.size();
    if (total > maxBytes) {
      drop();
      return false;
    }
    if (spool == null && total > memoryLimit) {
      spool = spools.get();
      if (spool == null || !spool.append(body)) {
        drop();
        return false;
      }
      body = ByteString.EMPTY;
    }
    if (spool != null) {
      if (!spool.append(chunk)) {
        drop();
        return false;
      }
    } else {
      body = body.concat(chunk);
    }
    length = total;
    return true;
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
  }
}
