package io.edgecache.controlplane.purge;

import com.google.protobuf.util.JsonFormat;
import io.edgecache.proto.purge.v1.PurgeStatus;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What every purge log keeps in memory: the retained entries, oldest first, and the reads the
 * coordinator makes of them. Subclasses make appends durable in their store.
 */
abstract class RetainedPurgeLog implements PurgeLog {

  /** How every store writes an entry: one line of JSON. */
  protected static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().omittingInsignificantWhitespace();

  /** Oldest first; subclasses add what they made durable. */
  protected final List<PurgeStatus> entries = new ArrayList<>();
  private final Duration retention;
  private final Clock clock;

  protected RetainedPurgeLog(Duration retention, Clock clock) {
    this.retention = retention;
    this.clock = clock;
  }

  @Override
  public long nextSeq() {
    return entries.isEmpty() ? 1 : entries.get(entries.size() - 1).getSeq() + 1;
  }

  @Override
  public long droppedThrough() {
    return entries.isEmpty() ? 0 : entries.get(0).getSeq() - 1;
  }

  @Override
  public List<PurgeStatus> after(long seq) {
    int from = 0;
    while (from < entries.size() && entries.get(from).getSeq() <= seq) {
      from++;
    }
    return List.copyOf(entries.subList(from, entries.size()));
  }

  @Override
  public List<PurgeStatus> newest(int limit) {
    List<PurgeStatus> result = new ArrayList<>();
    for (int i = entries.size() - 1; i >= 0 && result.size() < limit; i--) {
      result.add(entries.get(i));
    }
    return result;
  }

  /**
   * Drops the entries submitted longer than the retention ago, except the newest (so
   * sequence numbers keep counting up); returns how many went.
   */
  protected final int dropExpired() {
    long cutoff = clock.millis() - retention.toMillis();
    int expired = 0;
    while (expired < entries.size() - 1 && entries.get(expired).getSubmittedAtMillis() < cutoff) {
      expired++;
    }
    entries.subList(0, expired).clear();
    return expired;
  }
}
