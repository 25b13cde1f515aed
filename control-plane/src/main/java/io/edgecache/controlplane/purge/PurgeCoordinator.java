package io.edgecache.controlplane.purge;

import io.edgecache.proto.purge.v1.Hello;
import io.edgecache.proto.purge.v1.PurgeCommand;
import io.edgecache.proto.purge.v1.PurgeKind;
import io.edgecache.proto.purge.v1.PurgeStatus;
import io.edgecache.security.LogText;
import io.edgecache.controlplane.leader.PurgeLeadership;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongConsumer;
import java.util.logging.Logger;

/**
 * Orders, persists and distributes purges, and tracks which node applied which.
 *
 * <p>A purge is logged (fsync'd) before it is sent anywhere, then sent to every connected node
 * in sequence order. Nodes ack in order, so a node's progress is one number: the last sequence
 * it acked (or, when it connects, the last it says it applied). A purge is complete when every
 * connected node has reached it. A node that connects gets every logged purge after the last it
 * applied, then a {@code caught_up} marker (a purge no node has acked yet is never complete); one whose last purge is older than the log reaches
 * is told to drop its local tiers first. Exactly one connected node per purge is asked to purge
 * the shared tiers too.
 *
 * <p>Everything runs under this object's lock: the order of sends to each node is the log's
 * order, and a stream's observer is never called from two threads at once.
 */
public final class PurgeCoordinator implements PurgeLeadership.Listener, AutoCloseable {

  private static final Logger log = Logger.getLogger(PurgeCoordinator.class.getName());

  /** What a purge is, as submitted. */
  public record PurgeSpec(PurgeKind kind, String value, String host, boolean soft) {}

  /** A node ever seen since start: its progress, and its stream while connected. */
  private static final class NodeState {
    long lastApplied;
    ServerCallStreamObserver<PurgeCommand> stream;
  }

  private record Waiter(long seq, CompletableFuture<PurgeStatus> done) {}

  /** One node's purge stream as the metrics report it. */
  public record NodeProgress(String nodeId, boolean connected, long lastApplied) {}

  private final PurgeLog purgeLog;
  private final Clock clock;
  /** Null for the only replica, which always leads. */
  private PurgeLeadership leadership;
  /** By node id, sorted so the choice of the shared-tier node is stable. */
  private final Map<String, NodeState> nodes = new TreeMap<>();
  private final List<Waiter> waiters = new ArrayList<>();
  /** Submit time (epoch ms) of each purge submitted here and not yet complete, by sequence. */
  private final NavigableMap<Long, Long> incomplete = new TreeMap<>();
  private LongConsumer lagListener = lagMillis -> { };

  private PurgeCoordinator(PurgeLog purgeLog, Clock clock) {
    this.purgeLog = purgeLog;
    this.clock = clock;
  }

  /** Opens (and replays into memory) the purge log at {@code logPath}. */
  public static PurgeCoordinator open(Path logPath, Duration retention, Clock clock) throws IOException {
    return new PurgeCoordinator(FilePurgeLog.open(logPath, retention, clock), clock);
  }

  /** Coordinates through {@code purgeLog} (a shared one: replicas elect who writes it). */
  static PurgeCoordinator over(PurgeLog purgeLog, Clock clock) {
    return new PurgeCoordinator(purgeLog, clock);
  }

  /**
   * From now on this replica coordinates purges only while {@code leadership} says it leads;
   * otherwise admin purges and purge streams are refused naming the leader.
   */
  synchronized void followLeadership(PurgeLeadership leadership) {
    this.leadership = leadership;
  }

  /** The leader has changed to this replica: read what the previous one logged. */
  @Override
  public synchronized void startedLeading() {
    try {
      purgeLog.reload();
    } catch (IOException e) {
      // Appends are fenced by sequence number in the shared log: a stale view fails them.
      log.severe(() -> "leading, but the purge log could not be read again: " + e.getMessage());
    }
  }

  /** Nodes follow the leader: their streams here end so they reconnect to it. */
  @Override
  public synchronized void stoppedLeading() {
    closeStreams(Status.UNAVAILABLE.withDescription(notLeader()));
  }

  private boolean leads() {
    return leadership == null || leadership.isLeader();
  }

  private String notLeader() {
    return "this control-plane replica does not coordinate purges; the leader is "
        + leadership.leader().orElse("not elected yet");
  }

  /** Logs the purge durably, sends it to every connected node and returns its status. */
  public synchronized PurgeStatus submit(PurgeSpec spec, String submittedBy) throws IOException {
    if (!leads()) {
      throw new NotLeaderException(notLeader());
    }
    long seq = purgeLog.nextSeq();
    PurgeStatus entry = PurgeStatus.newBuilder()
        .setPurgeId("p" + seq)
        .setSeq(seq)
        .setKind(spec.kind())
        .setValue(spec.value())
        .setHost(spec.host())
        .setSoft(spec.soft())
        .setSubmittedBy(submittedBy)
        .setSubmittedAtMillis(clock.millis())
        .build();
    purgeLog.append(entry);
    incomplete.put(seq, entry.getSubmittedAtMillis());
    boolean sharedAssigned = false;
    for (NodeState node : nodes.values()) {
      if (node.stream != null) {
        node.stream.onNext(command(entry).setShared(!sharedAssigned).build());
        sharedAssigned = true;
      }
    }
    settle();
    return withNodes(entry);
  }

  /** The status of purge {@code purgeId}, or null when the log holds no such purge. */
  public synchronized PurgeStatus status(String purgeId) {
    for (PurgeStatus entry : purgeLog.newest(Integer.MAX_VALUE)) {
      if (entry.getPurgeId().equals(purgeId)) {
        return withNodes(entry);
      }
    }
    return null;
  }

  /** The newest purges, at most {@code limit}, newest first. */
  public synchronized List<PurgeStatus> recent(int limit) {
    return purgeLog.newest(limit).stream().map(this::withNodes).toList();
  }

  /**
   * Called with each purge's lag, submit to the last connected node's ack in milliseconds, when
   * it completes (purges submitted before this control plane started are not measured).
   */
  public synchronized void onPurgeLag(LongConsumer listener) {
    lagListener = listener;
  }

  /** Every node seen since start: connected or not, and the last purge it applied. */
  public synchronized List<NodeProgress> nodeProgress() {
    List<NodeProgress> progress = new ArrayList<>();
    nodes.forEach((id, node) -> progress.add(new NodeProgress(id, node.stream != null, node.lastApplied)));
    return progress;
  }

  /** The sequence number of the newest logged purge (0 when none). */
  public synchronized long lastSeq() {
    return purgeLog.nextSeq() - 1;
  }

  /** Completes with the purge's status once every connected node applied it. */
  public synchronized CompletableFuture<PurgeStatus> completion(PurgeStatus purge) {
    CompletableFuture<PurgeStatus> done = new CompletableFuture<>();
    waiters.add(new Waiter(purge.getSeq(), done));
    settle();
    return done;
  }

  /** A node said hello on {@code stream}: replay what it missed, then mark it caught up. */
  synchronized void join(Hello hello, ServerCallStreamObserver<PurgeCommand> stream) {
    if (!leads()) {
      stream.onError(Status.UNAVAILABLE.withDescription(notLeader()).asRuntimeException());
      return;
    }
    NodeState node = nodes.computeIfAbsent(hello.getNodeId(), id -> new NodeState());
    if (node.stream != null && node.stream != stream) {
      node.stream.onError(Status.ALREADY_EXISTS
          .withDescription("node " + hello.getNodeId() + " connected again").asRuntimeException());
    }
    node.stream = stream;
    node.lastApplied = hello.getLastAppliedSeq();
    long from = hello.getLastAppliedSeq();
    if (from < purgeLog.droppedThrough()) {
      log.warning(() -> "node " + LogText.quote(hello.getNodeId()) + " last applied purge " + hello.getLastAppliedSeq()
          + ", older than the log's oldest; it drops its local tiers");
      from = purgeLog.droppedThrough();
      node.lastApplied = from;
      stream.onNext(PurgeCommand.newBuilder().setSeq(from).setReset(true).build());
    }
    List<PurgeStatus> missed = purgeLog.after(from);
    for (PurgeStatus entry : missed) {
      stream.onNext(command(entry).build());
    }
    stream.onNext(PurgeCommand.newBuilder().setCaughtUp(true).build());
    log.info(() -> "node " + LogText.quote(hello.getNodeId()) + " (" + LogText.quote(hello.getNodeGroup())
        + ") connected at purge "
        + hello.getLastAppliedSeq() + "; replaying " + missed.size());
    settle();
  }

  /** The node on {@code stream} applied every purge up to {@code seq}. */
  synchronized void acked(ServerCallStreamObserver<PurgeCommand> stream, long seq) {
    for (NodeState node : nodes.values()) {
      if (node.stream == stream) {
        node.lastApplied = Math.max(node.lastApplied, seq);
      }
    }
    settle();
  }

  /**
   * Drops what is known of {@code nodeId} if it is not connected: the node registry forgets idle
   * node ids to stay within its bound, and their progress must not outlive them here.
   */
  public synchronized void forget(String nodeId) {
    NodeState node = nodes.get(nodeId);
    if (node != null && node.stream == null) {
      nodes.remove(nodeId);
      settle();
    }
  }

  /** The stream ended: its node is no longer live, so no purge waits for it. */
  synchronized void left(ServerCallStreamObserver<PurgeCommand> stream) {
    for (NodeState node : nodes.values()) {
      if (node.stream == stream) {
        node.stream = null;
      }
    }
    settle();
  }

  private PurgeStatus withNodes(PurgeStatus entry) {
    PurgeStatus.Builder status = entry.toBuilder();
    nodes.forEach((id, node) -> {
      if (node.lastApplied >= entry.getSeq()) {
        status.addAckedNodes(id);
      } else if (node.stream != null) {
        status.addPendingNodes(id);
      }
    });
    // With no node connected (say, just after a restart) nothing is known to have applied it.
    return status.setComplete(status.getPendingNodesCount() == 0 && status.getAckedNodesCount() > 0).build();
  }

  /** Records the lag of purges that just completed and answers the waiters of those. */
  private void settle() {
    // Completion is monotone in sequence (nodes ack in order): stop at the first incomplete one.
    while (!incomplete.isEmpty() && isComplete(incomplete.firstKey())) {
      Map.Entry<Long, Long> done = incomplete.pollFirstEntry();
      lagListener.accept(Math.max(0, clock.millis() - done.getValue()));
    }
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
      Waiter waiter = it.next();
      // The probe carries only the sequence: completeness is withNodes()'s predicate, and the
      // log is read only once the purge is complete, as before.
      if (isComplete(waiter.seq())) {
        it.remove();
        PurgeStatus entry = purgeLog.after(waiter.seq() - 1).get(0);
        waiter.done().complete(withNodes(entry));
      }
    }
  }

  private boolean isComplete(long seq) {
    return withNodes(PurgeStatus.newBuilder().setSeq(seq).build()).getComplete();
  }

  private static PurgeCommand.Builder command(PurgeStatus entry) {
    return PurgeCommand.newBuilder()
        .setSeq(entry.getSeq())
        .setPurgeId(entry.getPurgeId())
        .setKind(entry.getKind())
        .setSoft(entry.getSoft())
        .setHost(entry.getHost())
        .setValue(entry.getValue());
  }

  @Override
  public synchronized void close() throws IOException {
    closeStreams(Status.UNAVAILABLE.withDescription("control plane stopping"));
    purgeLog.close();
  }

  private void closeStreams(Status status) {
    for (NodeState node : nodes.values()) {
      if (node.stream != null) {
        node.stream.onError(status.asRuntimeException());
        node.stream = null;
      }
    }
  }
}
