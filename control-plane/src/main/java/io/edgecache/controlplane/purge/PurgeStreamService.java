package io.edgecache.controlplane.purge;

import io.edgecache.proto.purge.v1.NodeMessage;
import io.edgecache.proto.purge.v1.PurgeCommand;
import io.edgecache.proto.purge.v1.PurgeStreamGrpc;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/** The gRPC face of the {@link PurgeCoordinator}: one {@code Follow} stream per cache node. */
public final class PurgeStreamService extends PurgeStreamGrpc.PurgeStreamImplBase {

  private final PurgeCoordinator coordinator;

  public PurgeStreamService(PurgeCoordinator coordinator) {
    this.coordinator = coordinator;
  }

  @Override
  public StreamObserver<NodeMessage> follow(StreamObserver<PurgeCommand> responses) {
    ServerCallStreamObserver<PurgeCommand> call = (ServerCallStreamObserver<PurgeCommand>) responses;
    NodeOutbox stream = coordinator.outbox(call);
    // With a cancel handler, sends to a node that has gone are dropped instead of throwing.
    call.setOnCancelHandler(() -> coordinator.left(stream));
    // Commands wait in the outbox while the node reads slowly; each time it catches up, more go.
    call.setOnReadyHandler(stream::drain);
    return new StreamObserver<>() {
      private boolean greeted;

      @Override
      public void onNext(NodeMessage message) {
        switch (message.getMessageCase()) {
          case HELLO -> {
            if (greeted || message.getHello().getNodeId().isBlank()) {
              stream.end(Status.INVALID_ARGUMENT
                  .withDescription("hello: sent twice or without node_id"));
              coordinator.left(stream);
              stream.drain();
              return;
            }
            greeted = true;
            coordinator.join(message.getHello(), stream);
          }
          case ACK -> coordinator.acked(stream, message.getAck().getSeq());
          default -> { } // a newer node's message this control plane does not know: ignored
        }
      }

      @Override
      public void onError(Throwable t) {
        coordinator.left(stream);
      }

      @Override
      public void onCompleted() {
        coordinator.left(stream);
        stream.end(Status.OK);
        stream.drain();
      }
    };
  }
}
