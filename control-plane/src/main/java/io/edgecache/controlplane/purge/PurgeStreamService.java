package io.edgecache.controlplane.purge;

import io.edgecache.proto.purge.v1.NodeMessage;
import io.edgecache.proto.purge.v1.PurgeCommand;
import io.edgecache.proto.purge.v1.PurgeStreamGrpc;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The gRPC face of the {@link PurgeCoordinator}: one {@code Follow} stream per cache node. A
 * stream must say hello within {@code helloWithin} of opening, or it is ended with
 * DEADLINE_EXCEEDED: an opened stream that never names its node would otherwise be held open
 * for as long as the peer likes.
 */
public final class PurgeStreamService extends PurgeStreamGrpc.PurgeStreamImplBase {

  /** Nodes send hello as soon as the stream opens; this leaves room for a loaded node. */
  public static final Duration HELLO_WITHIN = Duration.ofSeconds(10);

  private final PurgeCoordinator coordinator;
  private final ScheduledExecutorService timer;
  private final Duration helloWithin;

  public PurgeStreamService(PurgeCoordinator coordinator, ScheduledExecutorService timer,
      Duration helloWithin) {
    if (helloWithin.isNegative() || helloWithin.isZero()) {
      throw new IllegalArgumentException("helloWithin must be positive: " + helloWithin);
    }
    this.coordinator = coordinator;
    this.timer = timer;
    this.helloWithin = helloWithin;
  }

  @Override
  public StreamObserver<NodeMessage> follow(StreamObserver<PurgeCommand> responses) {
    ServerCallStreamObserver<PurgeCommand> call = (ServerCallStreamObserver<PurgeCommand>) responses;
    NodeOutbox stream = coordinator.outbox(call);
    // Set by the first hello; the deadline reads it from the timer thread.
    AtomicBoolean greeted = new AtomicBoolean();
    ScheduledFuture<?> helloDeadline = timer.schedule(() -> {
      if (!greeted.get()) {
        stream.end(Status.DEADLINE_EXCEEDED.withDescription("no hello within " + helloWithin));
        coordinator.left(stream);
        stream.drain();
      }
    }, helloWithin.toNanos(), TimeUnit.NANOSECONDS);
    // With a cancel handler, sends to a node that has gone are dropped instead of throwing.
    call.setOnCancelHandler(() -> {
      helloDeadline.cancel(false);
      coordinator.left(stream);
    });
    // Commands wait in the outbox while the node reads slowly; each time it catches up, more go.
    call.setOnReadyHandler(stream::drain);
    return new StreamObserver<>() {
      @Override
      public void onNext(NodeMessage message) {
        switch (message.getMessageCase()) {
          case HELLO -> {
            helloDeadline.cancel(false);
            if (greeted.getAndSet(true) || message.getHello().getNodeId().isBlank()) {
              stream.end(Status.INVALID_ARGUMENT
                  .withDescription("hello: sent twice or without node_id"));
              coordinator.left(stream);
              stream.drain();
              return;
            }
            coordinator.join(message.getHello(), stream);
          }
          case ACK -> coordinator.acked(stream, message.getAck().getSeq());
          default -> { } // a newer node's message this control plane does not know: ignored
        }
      }

      @Override
      public void onError(Throwable t) {
        helloDeadline.cancel(false);
        coordinator.left(stream);
      }

      @Override
      public void onCompleted() {
        helloDeadline.cancel(false);
        coordinator.left(stream);
        stream.end(Status.OK);
        stream.drain();
      }
    };
  }
}
