package io.edgecache.controlplane.purge;

import io.edgecache.proto.purge.v1.PurgeCommand;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One node's purge stream as the coordinator feeds it: commands wait here until gRPC flow
 * control says the stream is ready, and are sent outside the coordinator's lock by one thread
 * at a time (whichever calls {@link #drain} first; the others leave the work to it, as
 * grpc-java's {@code SerializingExecutor} does), so the observer is never called concurrently.
 *
 * <p>At most {@code capacity} items wait: {@link #offer} refuses more, and the coordinator then
 * disconnects the node, which replays from its last applied purge when it reconnects. A replay
 * waits as one item and is read from the purge log a page at a time as the stream takes it, so
 * it costs one page of memory however far behind the node is.
 */
final class NodeOutbox {

  /** Reads the purges with a sequence number in {@code (after, through]}, at most {@code limit}. */
  interface ReplaySource {
    List<PurgeCommand> read(long after, long through, int limit);
  }

  private static final int REPLAY_PAGE = 256;

  /** What waits for the stream: a command, or the purges a replay still has to send. */
  private sealed interface Item permits Send, Replay {}

  private record Send(PurgeCommand command) implements Item {}

  /** Purges in {@code (sentThrough, through]}; {@code sentThrough} is touched by the drainer only. */
  private static final class Replay implements Item {
    long sentThrough;
    final long through;

    Replay(long after, long through) {
      this.sentThrough = after;
      this.through = through;
    }
  }

  private final ServerCallStreamObserver<PurgeCommand> stream;
  private final int capacity;
  private final ReplaySource replaySource;
  private final Queue<Item> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger waiting = new AtomicInteger();
  /** Drain requests outstanding; the caller that raises it from 0 drains for everyone. */
  private final AtomicInteger drainRequests = new AtomicInteger();
  /** How the stream is to end; set once. */
  private final AtomicReference<Status> ending = new AtomicReference<>();
  /** The replay page being sent; touched by the drainer only. */
  private final Queue<PurgeCommand> page = new ArrayDeque<>();
  /** Whether the stream was ended; touched by the drainer only. */
  private boolean ended;

  NodeOutbox(ServerCallStreamObserver<PurgeCommand> stream, int capacity,
      ReplaySource replaySource) {
    if (capacity < 4) {
      throw new IllegalArgumentException("a purge stream needs room for at least 4 items");
    }
    this.stream = stream;
    this.capacity = capacity;
    this.replaySource = replaySource;
  }

  /** Queues {@code command}; false, queuing nothing, when {@code capacity} items wait already. */
  boolean offer(PurgeCommand command) {
    return offer(new Send(command));
  }

  /** Queues a replay of the logged purges in {@code (after, through]}; false as {@link #offer}. */
  boolean offerReplay(long after, long through) {
    return after >= through || offer(new Replay(after, through));
  }

  private boolean offer(Item item) {
    if (waiting.incrementAndGet() > capacity) {
      waiting.decrementAndGet();
      return false;
    }
    queue.add(item);
    return true;
  }

  /**
   * Ends the stream with {@code status} (OK completes it) at the next {@link #drain}, dropping
   * what still waits. Only the first call counts.
   */
  void end(Status status) {
    ending.compareAndSet(null, status);
  }

  /**
   * Sends what waits while the stream is ready, or ends it. Called after queuing (outside the
   * coordinator's lock) and from the stream's on-ready handler.
   */
  void drain() {
    if (drainRequests.getAndIncrement() != 0) {
      return; // the thread draining now will loop once more for this request
    }
    do {
      sendWhileReady();
    } while (drainRequests.decrementAndGet() != 0);
  }

  private void sendWhileReady() {
    while (!ended) {
      Status end = ending.get();
      if (end != null) {
        ended = true;
        queue.clear();
        page.clear();
        if (end.isOk()) {
          stream.onCompleted();
        } else {
          stream.onError(end.asRuntimeException());
        }
        return;
      }
      if (!stream.isReady()) {
        return; // the on-ready handler drains again
      }
      PurgeCommand next = next();
      if (next != null) {
        stream.onNext(next);
      } else if (ending.get() == null) {
        return; // the next offer drains again
      }
    }
  }

  /** The next command to send, or null when nothing waits (or the replay found a gap). */
  private PurgeCommand next() {
    while (page.isEmpty()) {
      Item head = queue.peek();
      if (head == null) {
        return null;
      }
      if (head instanceof Send send) {
        taken();
        return send.command();
      }
      Replay replay = (Replay) head;
      if (replay.sentThrough >= replay.through) {
        taken();
        continue;
      }
      List<PurgeCommand> read = replaySource.read(replay.sentThrough, replay.through, REPLAY_PAGE);
      if (read.isEmpty() || read.get(0).getSeq() != replay.sentThrough + 1) {
        // retention dropped purges the node has not been sent: it must reconnect to reset
        end(Status.ABORTED.withDescription("purges " + (replay.sentThrough + 1)
            + " and later left the purge log during this node's replay; reconnect"));
        return null;
      }
      page.addAll(read);
      replay.sentThrough = read.get(read.size() - 1).getSeq();
    }
    return page.poll();
  }

  private void taken() {
    queue.poll();
    waiting.decrementAndGet();
  }
}
