package io.edgecache.controlplane.purge;

import io.edgecache.proto.purge.v1.PurgeStatus;
import java.io.IOException;
import java.util.List;

/**
 * The durable, ordered log of accepted purges ({@link PurgeStatus} without node lists): an
 * entry is durable when {@link #append} returns, before the purge is sent to any node or
 * acknowledged to its submitter. Sequence numbers count up from 1 without gaps. Not thread
 * safe: the coordinator serialises calls.
 */
interface PurgeLog extends AutoCloseable {

  /** The sequence number the next purge gets. */
  long nextSeq();

  /** Sequence numbers up to this one are no longer in the log (0 when none was dropped). */
  long droppedThrough();

  /** Appends {@code entry} durably; fails, appending nothing, when it cannot. */
  void append(PurgeStatus entry) throws IOException;

  /** Retained entries with a sequence number above {@code seq}, oldest first. */
  List<PurgeStatus> after(long seq);

  /** Retained entries, newest first, at most {@code limit}. */
  List<PurgeStatus> newest(int limit);

  /**
   * Reads again what other control-plane replicas appended (called when this replica becomes
   * the leader). A log only this process writes has nothing to read.
   */
  default void reload() throws IOException {}

  @Override
  void close() throws IOException;
}
