package io.edgecache.controlplane.xds;

import io.edgecache.controlplane.config.EdgecacheConfig;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import java.util.Map;

/**
 * Turns accepted configurations into snapshot versions {@code 1, 2, 3...} and sets one snapshot
 * per node group in the cache the xDS server answers from. Groups the new configuration no
 * longer has are cleared, so their nodes stop getting resources rather than keep stale ones.
 */
public final class SnapshotPublisher {
  private final SimpleCache<String> cache;
  private final ServiceEndpoints services;
  private long version;
  private EdgecacheConfig current;

  public SnapshotPublisher(SimpleCache<String> cache) {
    this(cache, ServiceEndpoints.NONE);
  }

  /** {@code services}: the endpoints of KUBERNETES clusters at each publish. */
  public SnapshotPublisher(SimpleCache<String> cache, ServiceEndpoints services) {
    this.cache = cache;
    this.services = services;
  }

  /** Publishes {@code config} and returns the version its snapshots carry. */
  public synchronized String publish(EdgecacheConfig config) {
    String next = Long.toString(version + 1);
    Map<String, Snapshot> snapshots = SnapshotTranslator.translate(config, next, services);
    for (String group : cache.groups()) {
      if (!snapshots.containsKey(group)) {
        cache.clearSnapshot(group);
      }
    }
    snapshots.forEach(cache::setSnapshot);
    version++;
    current = config;
    return next;
  }

  /** Publishes the current configuration again, with the services' endpoints as they are now. */
  public synchronized String republish() {
    return publish(current);
  }
}
