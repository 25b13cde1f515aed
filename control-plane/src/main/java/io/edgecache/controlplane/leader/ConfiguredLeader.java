package io.edgecache.controlplane.leader;

import java.util.Optional;

/**
 * A leader named in the configuration: the replica whose identity it is leads, for good. The
 * choice off Kubernetes, where no Lease can arbitrate; a failover is a configuration change.
 */
public final class ConfiguredLeader implements PurgeLeadership {

  private final String leader;
  private final boolean self;

  public ConfiguredLeader(String identity, String leader, Listener listener) {
    this.leader = leader;
    this.self = identity.equals(leader);
    if (self) {
      listener.startedLeading();
    }
  }

  @Override
  public boolean isLeader() {
    return self;
  }

  @Override
  public Optional<String> leader() {
    return Optional.of(leader);
  }

  @Override
  public void close() {}
}
