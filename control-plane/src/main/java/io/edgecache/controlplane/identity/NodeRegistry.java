package io.edgecache.controlplane.identity;

import io.grpc.Status;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The node ids one plane (xDS or purge) knows, each bound to the certificate identity that
 * first claimed it, and how many live streams use it. A node id cannot be used by another
 * identity while the registry remembers it; a node reconnecting under its own identity may.
 *
 * <p>At most {@code maxNodeIds} ids are remembered: a new id is admitted by forgetting the
 * least recently claimed id that has no live stream (the owner is told through
 * {@code forgotten}, so its per-node state goes too); when every id has a live stream, the new
 * one is refused. So a peer inventing ids cannot grow the control plane's memory.
 */
public final class NodeRegistry {

  private static final class Entry {
    final String identity;
    int liveStreams;

    Entry(String identity) {
      this.identity = identity;
    }
  }

  private final int maxNodeIds;
  private final Consumer<String> forgotten;
  /** In access order: the eldest is the least recently claimed. */
  private final LinkedHashMap<String, Entry> byNodeId = new LinkedHashMap<>(16, 0.75f, true);

  /**
   * @param forgotten called (under this registry's lock) with each node id dropped to make room
   */
  public NodeRegistry(int maxNodeIds, Consumer<String> forgotten) {
    if (maxNodeIds <= 0) {
      throw new IllegalArgumentException("maxNodeIds must be positive");
    }
    this.maxNodeIds = maxNodeIds;
    this.forgotten = forgotten;
  }

  /**
   * {@code identity} opens a stream as {@code nodeId}: empty when admitted (release it with
   * {@link #release}), else the status to refuse the stream with.
   */
  public synchronized Optional<Status> claim(String identity, String nodeId) {
    Entry entry = byNodeId.get(nodeId);
    if (entry != null && !entry.identity.equals(identity)) {
      return Optional.of(Status.PERMISSION_DENIED.withDescription(
          "node id '" + nodeId + "' belongs to another certificate identity"));
    }
    if (entry == null) {
      if (byNodeId.size() >= maxNodeIds && !forgetOneIdle()) {
        return Optional.of(Status.RESOURCE_EXHAUSTED.withDescription(
            "the control plane tracks at most " + maxNodeIds + " node ids and all are connected"));
      }
      entry = new Entry(identity);
      byNodeId.put(nodeId, entry);
    }
    entry.liveStreams++;
    return Optional.empty();
  }

  /** A stream admitted by {@link #claim} for {@code nodeId} ended. */
  public synchronized void release(String nodeId) {
    Entry entry = byNodeId.get(nodeId);
    if (entry != null && entry.liveStreams > 0) {
      entry.liveStreams--;
    }
  }

  /** How many node ids are remembered now; never more than the bound. */
  public synchronized int size() {
    return byNodeId.size();
  }

  private boolean forgetOneIdle() {
    for (Iterator<Map.Entry<String, Entry>> it = byNodeId.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Entry> eldest = it.next();
      if (eldest.getValue().liveStreams == 0) {
        it.remove();
        forgotten.accept(eldest.getKey());
        return true;
      }
    }
    return false;
  }
}
