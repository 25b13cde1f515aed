package io.edgecache.extproc.cache;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The memory all responses being recorded on a node may hold together: the body bytes kept in
 * memory from a response's first chunk until it is stored (or spooled to disk, or dropped).
 *
 * <p>Each recording is bounded by the object size limit, but nothing bounded how many run at
 * once: a burst of misses on large objects, or a client asking for many uncached large URLs at
 * the same time, could hold the limit once per stream, far beyond the heap. With the budget a
 * recording that finds no room is dropped and its response goes on to the client unrecorded,
 * as an over-size one does; the budget is the memory tier's size, where such bodies are going.
 */
public final class RecordingBudget {

  private final long limitBytes;
  private final AtomicLong heldBytes = new AtomicLong();
  private final LongAdder refused = new LongAdder();

  public RecordingBudget(long limitBytes) {
    if (limitBytes <= 0) {
      throw new IllegalArgumentException("a recording budget must be positive: " + limitBytes);
    }
    this.limitBytes = limitBytes;
  }

  /** Takes {@code bytes} from the budget; false, taking nothing, when they do not fit. */
  public boolean reserve(long bytes) {
    long held;
    do {
      held = heldBytes.get();
      if (held + bytes > limitBytes) {
        refused.increment();
        return false;
      }
    } while (!heldBytes.compareAndSet(held, held + bytes));
    return true;
  }

  /** Gives back {@code bytes} reserved before. */
  public void release(long bytes) {
    heldBytes.addAndGet(-bytes);
  }

  public long limitBytes() {
    return limitBytes;
  }

  /** Bytes held by recordings right now. */
  public long heldBytes() {
    return heldBytes.get();
  }

  /** Recordings dropped so far because the budget had no room for them. */
  public long refused() {
    return refused.sum();
  }
}
