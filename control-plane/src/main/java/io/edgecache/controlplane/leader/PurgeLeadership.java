package io.edgecache.controlplane.leader;

import java.util.Optional;

/**
 * Which control-plane replica coordinates purges. Every replica serves xDS; only the leader
 * accepts admin purges and purge streams, so the purge log has one writer and nodes one source
 * of order. The others answer with the leader's identity.
 */
public interface PurgeLeadership extends AutoCloseable {

  /** Told when this replica starts or stops leading; called from the election's thread. */
  interface Listener {
    void startedLeading();

    void stoppedLeading();
  }

  boolean isLeader();

  /** The current leader's identity as last seen, or empty when none is known. */
  Optional<String> leader();

  /** Stops taking part (releasing the leadership if held). */
  @Override
  void close();
}
