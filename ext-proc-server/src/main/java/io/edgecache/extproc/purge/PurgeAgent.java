package io.edgecache.extproc.purge;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import com.google.errorprone.annotations.concurrent.GuardedBy;
import io.edgecache.extproc.config.PurgeConfig;
import io.edgecache.proto.purge.v1.Ack;
import io.edgecache.proto.purge.v1.Hello;
import io.edgecache.proto.purge.v1.NodeMessage;
import io.edgecache.proto.purge.v1.PurgeCommand;
import io.edgecache.proto.purge.v1.PurgeStreamGrpc;
import io.edgecache.reconnect.ReconnectBackoff;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Follows the control plane's purge stream: says who this node is and the last purge it
 * applied, applies each command in order, acks it, and opens the {@link HitGate} once the
 * control plane says the replay is over. When the stream breaks the gate starts its grace and the
 * agent reconnects with jittered backoff (from 100 ms, capped at 1 s, so a restarted control
 * plane is followed within about a second), resuming after the last purge it applied. Each
 * attempt dials the control plane at once and waits for that connection for one backoff step
 * before it is abandoned for the next attempt, so attempts are as frequent as the backoff allows
 * and none is lost to the channel still reporting its last failed connection. With
 * standby control planes each attempt goes to the next address, so the stream settles on the
 * replica that leads (the others refuse it).
 */
public final class PurgeAgent implements AutoCloseable {

  private static final Logger log = Logger.getLogger(PurgeAgent.class.getName());

  private final PurgeConfig config;
  private final NodePurger purger;
  private final HitGate gate;
  /** One per control-plane address, in the configured order. */
  private final List<ManagedChannel> channels;
  private final ScheduledExecutorService reconnects = Executors.newSingleThreadScheduledExecutor(
      new ThreadFactoryBuilder().setNameFormat("purge-agent-reconnect").setDaemon(true).build());

  @GuardedBy("this")
  private long lastApplied;
  @GuardedBy("this")
  private int current;
  @GuardedBy("this")
  private final ReconnectBackoff backoff = ReconnectBackoff.standard();
  @GuardedBy("this")
  private ClientCallStreamObserver<NodeMessage> stream;
  /** The stream this agent cancelled because its control plane was unreachable, if any. */
  @GuardedBy("this")
  private ClientCallStreamObserver<NodeMessage> abandoned;
  @GuardedBy("this")
  private boolean closed;

  private PurgeAgent(PurgeConfig config, List<ManagedChannel> channels, NodePurger purger,
      HitGate gate) {
    this.config = config;
    this.channels = List.copyOf(channels);
    this.purger = purger;
    this.gate = gate;
  }

  /**
   * Follows the purge stream of the control plane at {@code channels} (one per address of
   * {@link PurgeConfig#controlPlanes()}); reconnects on failure.
   */
  public static PurgeAgent start(PurgeConfig config, List<ManagedChannel> channels,
      NodePurger purger, HitGate gate) {
    PurgeAgent agent = new PurgeAgent(config, channels, purger, gate);
    agent.connect();
    return agent;
  }

  /** The sequence number of the last purge this node applied. */
  public synchronized long lastApplied() {
    return lastApplied;
  }

  private synchronized void connect() {
    if (closed) {
      return;
    }
    ManagedChannel channel = channels.get(current);
    // The channel keeps its own connect backoff (growing past a minute) after failed attempts;
    // this agent's backoff decides, so the channel dials now. Waiting for ready, the stream
    // follows that dial: without it the stream would fail at once on the channel's last failure
    // (pick-first stays in TRANSIENT_FAILURE until a connection is READY), losing a whole step.
    channel.resetConnectBackoff();
    PurgeStreamGrpc.newStub(channel).withWaitForReady().follow(new Commands());
    ClientCallStreamObserver<NodeMessage> attempt = stream;
    long window = backoff.next().toMillis();
    reconnects.schedule(() -> abandonIfUnreachable(attempt, channel, window), window,
        TimeUnit.MILLISECONDS);
    stream.onNext(NodeMessage.newBuilder().setHello(Hello.newBuilder()
        .setNodeId(config.nodeId())
        .setNodeGroup(config.nodeGroup())
        .setLastAppliedSeq(lastApplied)).build());
  }

  /** Bounds an attempt's wait for its connection: past it, the next attempt (and address). */
  private synchronized void abandonIfUnreachable(ClientCallStreamObserver<NodeMessage> attempt,
      ManagedChannel channel, long window) {
    if (attempt == stream && !closed && channel.getState(false) != ConnectivityState.READY) {
      abandoned = attempt;
      attempt.cancel("control plane not reachable within " + window + " ms", null);
    }
  }

  private synchronized void onCommand(PurgeCommand command) {
    if (command.getCaughtUp()) {
      backoff.reset();
      gate.open();
      log.info(() -> "purge stream caught up at seq " + lastApplied + "; serving hits");
      return;
    }
    if (command.getReset()) {
      log.warning(() -> "purge log no longer reaches back to seq " + lastApplied
          + "; dropping this node's cached entries");
      purger.dropLocalTiers();
      lastApplied = command.getSeq();
      return;
    }
    if (command.getSeq() > lastApplied) {
      try {
        purger.apply(PurgeRule.of(command), command.getShared());
      } catch (IllegalArgumentException e) {
        // The control plane validates what it logs; a command this node cannot read is
        // acknowledged so it does not stall every later purge, and said out loud.
        log.severe(() -> "purge " + command.getPurgeId() + " not applied: " + e.getMessage());
      }
      lastApplied = command.getSeq();
    }
    stream.onNext(NodeMessage.newBuilder()
        .setAck(Ack.newBuilder().setSeq(command.getSeq())).build());
  }

  private synchronized void onBroken(Throwable cause) {
    gate.streamLost();
    if (closed) {
      return;
    }
    // An abandoned attempt has waited its backoff step already.
    long wait = stream == abandoned ? 0 : backoff.next().toMillis();
    String hits = gate.inGrace() ? "serving hits on grace" : "not serving hits";
    InetSocketAddress address = config.controlPlanes().get(current);
    current = (current + 1) % channels.size();
    log.warning(() -> "purge stream to " + address.getHostString() + ":"
        + address.getPort() + " broken ("
        + (cause == null ? "closed by the control plane" : cause.getMessage())
        + "); " + hits + "; reconnecting in " + wait + " ms");
    reconnects.schedule(this::connect, wait, TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      if (stream != null) {
        stream.cancel("node shutting down", null);
      }
    }
    reconnects.shutdownNow();
  }

  /** One connection's commands. */
  private final class Commands implements ClientResponseObserver<NodeMessage, PurgeCommand> {
    @Override
    public void beforeStart(ClientCallStreamObserver<NodeMessage> requests) {
      synchronized (PurgeAgent.this) {
        stream = requests;
      }
    }

    @Override
    public void onNext(PurgeCommand command) {
      onCommand(command);
    }

    @Override
    public void onError(Throwable t) {
      onBroken(t);
    }

    @Override
    public void onCompleted() {
      onBroken(null);
    }
  }
}
