package io.edgecache.controlplane.purge;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.edgecache.controlplane.leader.PurgeLeadership;
import io.edgecache.proto.purge.v1.Hello;
import io.edgecache.proto.purge.v1.PurgeCommand;
import io.edgecache.proto.purge.v1.PurgeKind;
import io.edgecache.proto.purge.v1.PurgeStatus;
import io.edgecache.security.LogText;
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
import java.util.function.Consumer;
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
 * <p>State changes run under this object's lock; what they tell the outside (sends to nodes,
 * completed futures, lag reports) is collected under it and run after it is released, so no
 * observer or future's dependent runs under the lock. Each node's commands are queued in its
 * {@link NodeOutbox} in log order under the lock and sent as its stream's flow control allows;
 * a node that lets more than {@code maxBacklog} of them wait is disconnected (it replays on
 * reconnect), so a slow node costs bounded memory and never holds up the others.
 */
public final class PurgeCoordinator implements PurgeLeadership.Listener, AutoCloseable {

  private static final Logger log = Logger.getLogger(PurgeCoordinator.class.getName());

  /** What a purge is, as submitted. */
  public record PurgeSpec(PurgeKind kind, String value, String host, boolean soft) {}

  /** Commands a node may leave waiting for its stream before it is disconnected. */
  static final int DEFAULT_MAX_BACKLOG = 4096;

  /**
   * A node ever seen since start: its progress, and its stream while connected. Read and
   * written only under the coordinator's lock, as {@link #nodes} is.
   */
  private static final class NodeState {
    long lastApplied;
    NodeOutbox stream;
  }

  /** What a locked step tells the outside, run once the lock is released. */
  private static final class AfterUnlock {
    private final List<Runnable> actions = new ArrayList<>();

    void drain(NodeOutbox stream) {
      actions.add(stream::drain);
    }

    void run(Runnable action) {
      actions.add(action);
    }

    void runAll() {
      actions.forEach(Runnable::run);
    }
  }

  private record Waiter(long seq, CompletableFuture<PurgeStatus> done) {}

  /** One node's purge stream as the metrics report it. */
  public record NodeProgress(String nodeId, boolean connected, long lastApplied) {}

  private final PurgeLog purgeLog;
  private final Clock clock;
  /** Null for the only replica, which always leads. */
  @GuardedBy("this")
  private PurgeLeadership leadership;
  /** By node id, sorted so the choice of the shared-tier node is stable. */
  @GuardedBy("this")
  private final Map<String, NodeState> nodes = new TreeMap<>();
  @GuardedBy("this")
  private final List<Waiter> waiters = new ArrayList<>();
  /** Submit time (epoch ms) of each purge submitted here and not yet complete, by sequence. */
  @GuardedBy("this")
  private final NavigableMap<Long, Long> incomplete = new TreeMap<>();
  @GuardedBy("this")
  private LongConsumer lagListener = lagMillis -> { };
  private final int maxBacklog;

  private PurgeCoordinator(PurgeLog purgeLog, Clock clock, int maxBacklog) {
    this.purgeLog = purgeLog;
    this.clock = clock;
    this.maxBacklog = maxBacklog;
  }

  /** Opens (and replays into memory) the purge log at {@code logPath}. */
  public static PurgeCoordinator open(Path logPath, Duration retention, Clock clock) throws IOException {
    return over(FilePurgeLog.open(logPath, retention, clock), clock);
  }

  /** Coordinates through {@code purgeLog} (a shared one: replicas elect who writes it). */
  static PurgeCoordinator over(PurgeLog purgeLog, Clock clock) {
    return over(purgeLog, clock, DEFAULT_MAX_BACKLOG);
  }

  /** As {@link #over(PurgeLog, Clock)}, letting each node leave {@code maxBacklog} commands wait. */
  static PurgeCoordinator over(PurgeLog purgeLog, Clock clock, int maxBacklog) {
    return new PurgeCoordinator(purgeLog, clock, maxBacklog);
  }

  /** The outbox of a new purge stream; its on-ready handler must call {@link NodeOutbox#drain}. */
  NodeOutbox outbox(ServerCallStreamObserver<PurgeCommand> stream) {
    return new NodeOutbox(stream, maxBacklog, this::replay);
  }

  /** Logged purges in {@code (after, through]}, at most {@code limit}, as commands. */
  private synchronized List<PurgeCommand> replay(long after, long through, int limit) {
    return purgeLog.after(after).stream()
        .takeWhile(entry -> entry.getSeq() <= through)
        .limit(limit)
        .map(entry -> command(entry).build())
        .toList();
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
  public void stoppedLeading() {
    locked(after -> closeStreams(Status.UNAVAILABLE.withDescription(notLeader()), after));
  }

  private boolean leads() {
    return leadership == null || leadership.isLeader();
  }

  private String notLeader() {
    return "this control-plane replica does not coordinate purges; the leader is "
        + leadership.leader().orElse("not elected yet");
  }

  /** Logs the purge durably, sends it to every connected node and returns its status. */
  public PurgeStatus submit(PurgeSpec spec, String submittedBy) throws IOException {
    AfterUnlock after = new AfterUnlock();
    PurgeStatus status;
    synchronized (this) {
      status = submit(spec, submittedBy, after);
    }
    after.runAll();
    return status;
  }

  private PurgeStatus submit(PurgeSpec spec, String submittedBy, AfterUnlock after)
      throws IOException {
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
    for (Map.Entry<String, NodeState> node : nodes.entrySet()) {
      if (node.getValue().stream != null) {
        send(node.getKey(), node.getValue(), command(entry).setShared(!sharedAssigned).build(),
            after);
        sharedAssigned = true;
      }
    }
    settle(after);
    return withNodes(entry);
  }

  /** Queues {@code command} for the node, or disconnects it when too much waits for it already. */
  private void send(String nodeId, NodeState node, PurgeCommand command, AfterUnlock after) {
    NodeOutbox stream = node.stream;
    if (!stream.offer(command)) {
      disconnectSlow(nodeId, node);
    }
    after.drain(stream);
  }

  /** The node left {@code maxBacklog} commands unread: it goes, and replays when it is back. */
  private void disconnectSlow(String nodeId, NodeState node) {
    log.warning(() -> "node " + LogText.quote(nodeId) + " has " + maxBacklog
        + " purge commands waiting for its stream; disconnecting it");
    node.stream.end(Status.RESOURCE_EXHAUSTED.withDescription("this node left " + maxBacklog
        + " purge commands unread; reconnect to replay from the last purge it applied"));
    node.stream = null;
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
  public CompletableFuture<PurgeStatus> completion(PurgeStatus purge) {
    CompletableFuture<PurgeStatus> done = new CompletableFuture<>();
    locked(after -> {
      waiters.add(new Waiter(purge.getSeq(), done));
      settle(after);
    });
    return done;
  }

  /** Runs a state change under the lock, then what it tells the outside. */
  private void locked(Consumer<AfterUnlock> change) {
    AfterUnlock after = new AfterUnlock();
    synchronized (this) {
      change.accept(after);
    }
    after.runAll();
  }

  /** A node said hello on {@code stream}: replay what it missed, then mark it caught up. */
  void join(Hello hello, NodeOutbox stream) {
    locked(after -> join(hello, stream, after));
  }

  private void join(Hello hello, NodeOutbox stream, AfterUnlock after) {
    after.drain(stream);
    if (!leads()) {
      stream.end(Status.UNAVAILABLE.withDescription(notLeader()));
      return;
    }
    NodeState node = nodes.computeIfAbsent(hello.getNodeId(), id -> new NodeState());
    if (node.stream != null && node.stream != stream) {
      node.stream.end(Status.ALREADY_EXISTS
          .withDescription("node " + hello.getNodeId() + " connected again"));
      after.drain(node.stream);
    }
    node.stream = stream;
    node.lastApplied = hello.getLastAppliedSeq();
    long from = hello.getLastAppliedSeq();
    if (from < purgeLog.droppedThrough()) {
      log.warning(() -> "node " + LogText.quote(hello.getNodeId()) + " last applied purge " + hello.getLastAppliedSeq()
          + ", older than the log's oldest; it drops its local tiers");
      from = purgeLog.droppedThrough();
      node.lastApplied = from;
      stream.offer(PurgeCommand.newBuilder().setSeq(from).setReset(true).build());
    }
    // The replay is read from the log as the stream takes it; a fresh outbox has room for it.
    long through = purgeLog.nextSeq() - 1;
    stream.offerReplay(from, through);
    stream.offer(PurgeCommand.newBuilder().setCaughtUp(true).build());
    long missed = Math.max(0, through - from);
    log.info(() -> "node " + LogText.quote(hello.getNodeId()) + " (" + LogText.quote(hello.getNodeGroup())
        + ") connected at purge "
        + hello.getLastAppliedSeq() + "; replaying " + missed);
    settle(after);
  }

  /** The node on {@code stream} applied every purge up to {@code seq}. */
  void acked(NodeOutbox stream, long seq) {
    locked(after -> {
      for (NodeState node : nodes.values()) {
        if (node.stream == stream) {
          node.lastApplied = Math.max(node.lastApplied, seq);
        }
      }
      settle(after);
    });
  }

  /**
   * Drops what is known of {@code nodeId} if it is not connected: the node registry forgets idle
   * node ids to stay within its bound, and their progress must not outlive them here.
   */
  public void forget(String nodeId) {
    locked(after -> {
      NodeState node = nodes.get(nodeId);
      if (node != null && node.stream == null) {
        nodes.remove(nodeId);
        settle(after);
      }
    });
  }

  /** The stream ended: its node is no longer live, so no purge waits for it. */
  void left(NodeOutbox stream) {
    locked(after -> {
      for (NodeState node : nodes.values()) {
        if (node.stream == stream) {
          node.stream = null;
        }
      }
      settle(after);
    });
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
  private void settle(AfterUnlock after) {
    // Completion is monotone in sequence (nodes ack in order): stop at the first incomplete one.
    LongConsumer lags = lagListener;
    while (!incomplete.isEmpty() && isComplete(incomplete.firstKey())) {
      Map.Entry<Long, Long> done = incomplete.pollFirstEntry();
      long lag = Math.max(0, clock.millis() - done.getValue());
      after.run(() -> lags.accept(lag));
    }
    for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
      Waiter waiter = it.next();
      // The probe carries only the sequence: completeness is withNodes()'s predicate, and the
      // log is read only once the purge is complete, as before.
      if (isComplete(waiter.seq())) {
        it.remove();
        PurgeStatus status = withNodes(purgeLog.after(waiter.seq() - 1).get(0));
        after.run(() -> waiter.done().complete(status));
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
  public void close() throws IOException {
    locked(after -> closeStreams(Status.UNAVAILABLE.withDescription("control plane stopping"), after));
    synchronized (this) {
      purgeLog.close();
    }
  }

  private void closeStreams(Status status, AfterUnlock after) {
    for (NodeState node : nodes.values()) {
      if (node.stream != null) {
        node.stream.end(status);
        after.drain(node.stream);
        node.stream = null;
      }
    }
  }
}
