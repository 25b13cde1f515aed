package io.edgecache.controlplane.purge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.proto.purge.v1.Ack;
import io.edgecache.proto.purge.v1.Hello;
import io.edgecache.proto.purge.v1.NodeMessage;
import io.edgecache.proto.purge.v1.PurgeCommand;
import io.edgecache.proto.purge.v1.PurgeKind;
import io.edgecache.proto.purge.v1.PurgeStatus;
import io.edgecache.proto.purge.v1.PurgeStreamGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The coordinator over a real gRPC purge stream, with the node's side played by the test. */
class PurgeCoordinatorTest {

  @TempDir Path dir;

  private Server server;
  private ManagedChannel channel;
  private PurgeCoordinator coordinator;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stopTimer() {
    timer.shutdownNow();
  }

  @AfterEach
  void stop() throws IOException {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (server != null) {
      server.shutdownNow();
    }
    if (coordinator != null) {
      coordinator.close();
    }
  }

  @Test
  void nodeGetsWhatItMissedInOrderThenCaughtUpAndItsAckCompletesThePurge() throws Exception {
    start(Clock.systemUTC(), Duration.ofHours(1));
    PurgeStatus first = coordinator.submit(tag("a"), "test");
    coordinator.submit(tag("b"), "test");

    Node node = new Node("n1", 1);
    assertEquals(2, node.next().getSeq());
    assertTrue(node.next().getCaughtUp());
    node.ack(2);
    assertTrue(coordinator.completion(first).get(5, TimeUnit.SECONDS).getComplete());

    PurgeStatus third = coordinator.submit(tag("c"), "test");
    PurgeCommand live = node.next();
    assertEquals(3, live.getSeq());
    assertTrue(live.getShared(), "the only node purges the shared tiers");
    assertFalse(coordinator.status(third.getPurgeId()).getComplete());
    assertEquals("n1", coordinator.status(third.getPurgeId()).getPendingNodes(0));
    node.ack(3);
    assertEquals("n1", coordinator.completion(third).get(5, TimeUnit.SECONDS).getAckedNodes(0));
  }

  @Test
  void logSurvivesARestartAndATornLastLine() throws Exception {
    start(Clock.systemUTC(), Duration.ofHours(1));
    coordinator.submit(tag("a"), "test");
    coordinator.submit(tag("b"), "test");
    restart(Clock.systemUTC(), Duration.ofHours(1), "{\"purgeId\":\"p3\",\"se");

    assertEquals(2, coordinator.recent(10).size());
    assertEquals(3, coordinator.submit(tag("c"), "test").getSeq(), "the torn append was never acknowledged");
  }

  @Test
  void nodeOlderThanTheLogsRetentionIsToldToDropItsLocalTiers() throws Exception {
    MovableClock clock = new MovableClock();
    start(clock, Duration.ofMinutes(1));
    coordinator.submit(tag("old"), "test");
    clock.now = clock.now.plus(Duration.ofMinutes(5));
    coordinator.submit(tag("new-1"), "test");
    coordinator.submit(tag("new-2"), "test");

    Node node = new Node("n1", 0);
    PurgeCommand reset = node.next();
    assertTrue(reset.getReset());
    assertEquals(1, reset.getSeq());
    assertEquals(2, node.next().getSeq());
    assertEquals(3, node.next().getSeq());
    assertTrue(node.next().getCaughtUp());
  }

  @Test
  void purgeLagRunsFromSubmitToTheLastConnectedNodesAckAndNodeProgressIsReported() throws Exception {
    MovableClock clock = new MovableClock();
    start(clock, Duration.ofHours(1));
    BlockingQueue<Long> lags = new LinkedBlockingQueue<>();
    coordinator.onPurgeLag(lags::add);
    Node first = new Node("n1", 0);
    Node second = new Node("n2", 0);
    assertTrue(first.next().getCaughtUp());
    assertTrue(second.next().getCaughtUp());

    PurgeStatus purge = coordinator.submit(tag("a"), "test");
    first.next();
    second.next();
    clock.now = clock.now.plusMillis(300);
    first.ack(1);
    awaitProgress(java.util.List.of(
        new PurgeCoordinator.NodeProgress("n1", true, 1),
        new PurgeCoordinator.NodeProgress("n2", true, 0))); // n2 has not acked yet
    clock.now = clock.now.plusMillis(1200);
    second.ack(1);
    assertTrue(coordinator.completion(purge).get(5, TimeUnit.SECONDS).getComplete());
    assertEquals(1500, lags.poll(5, TimeUnit.SECONDS), "measured at the last ack");
    assertEquals(1, coordinator.lastSeq());
    assertTrue(lags.isEmpty(), "each purge's lag is recorded once");
  }

  @Test
  void aNodeThatStopsReadingIsDisconnectedAtItsBacklogWhileOthersKeepGettingPurges()
      throws Exception {
    int maxBacklog = 8;
    coordinator = PurgeCoordinator.over(
        FilePurgeLog.open(dir.resolve("purge.log"), Duration.ofHours(1), Clock.systemUTC()),
        Clock.systemUTC(), maxBacklog);
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new PurgeStreamService(coordinator, timer, PurgeStreamService.HELLO_WITHIN))
        .build().start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    // The slow node has its own connection with a small window, which it never reopens.
    ManagedChannel slowChannel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort())
        .usePlaintext().flowControlWindow(16 * 1024).build();
    try {
      Node fast = new Node("fast", 0);
      assertTrue(fast.next().getCaughtUp());
      StalledNode slow = new StalledNode(slowChannel, "slow");
      awaitProgress(java.util.List.of(
          new PurgeCoordinator.NodeProgress("fast", true, 0),
          new PurgeCoordinator.NodeProgress("slow", true, 0)));

      int purges = 200; // 2 KiB each: far more than the slow node's window and backlog hold
      PurgeStatus last = null;
      for (int seq = 1; seq <= purges; seq++) {
        last = coordinator.submit(tag("t".repeat(2048) + seq), "test");
        assertEquals(seq, fast.next().getSeq(), "the fast node is not held up");
        fast.ack(seq);
      }
      assertFalse(coordinator.nodeProgress().get(1).connected(),
          "the slow node was disconnected when its backlog was full");
      assertTrue(coordinator.completion(last).get(5, TimeUnit.SECONDS).getComplete(),
          "the disconnected node holds no purge back");

      // What reached the slow node is what its window and the bounded backlog held, then why.
      slow.call.request(Integer.MAX_VALUE);
      Throwable ended = slow.ended.get(5, TimeUnit.SECONDS);
      assertEquals(io.grpc.Status.Code.RESOURCE_EXHAUSTED,
          io.grpc.Status.fromThrowable(ended).getCode());
      assertTrue(slow.received.size() < purges, "received " + slow.received.size());

      // Back, it replays everything from the log (paged, so far beyond the backlog bound).
      Node back = new Node("slow", 0);
      for (int seq = 1; seq <= purges; seq++) {
        assertEquals(seq, back.next().getSeq());
      }
      assertTrue(back.next().getCaughtUp());
    } finally {
      slowChannel.shutdownNow();
    }
  }

  /** A node that reads nothing until told to; with a null id, one that never says hello. */
  private static final class StalledNode {
    final BlockingQueue<PurgeCommand> received = new LinkedBlockingQueue<>();
    final java.util.concurrent.CompletableFuture<Throwable> ended =
        new java.util.concurrent.CompletableFuture<>();
    io.grpc.stub.ClientCallStreamObserver<NodeMessage> call;

    StalledNode(ManagedChannel channel, String id) {
      StreamObserver<NodeMessage> requests = PurgeStreamGrpc.newStub(channel)
          .withDeadlineAfter(30, TimeUnit.SECONDS)
          .follow(new io.grpc.stub.ClientResponseObserver<NodeMessage, PurgeCommand>() {
            @Override
            public void beforeStart(io.grpc.stub.ClientCallStreamObserver<NodeMessage> stream) {
              call = stream;
              stream.disableAutoRequestWithInitial(0);
            }

            @Override
            public void onNext(PurgeCommand command) {
              received.add(command);
            }

            @Override
            public void onError(Throwable t) {
              ended.complete(t);
            }

            @Override
            public void onCompleted() {
              ended.complete(null);
            }
          });
      if (id != null) {
        requests.onNext(NodeMessage.newBuilder().setHello(Hello.newBuilder().setNodeId(id)
            .setNodeGroup("g").setLastAppliedSeq(0)).build());
      }
    }
  }

  @Test
  void aStreamThatNeverSaysHelloIsEndedWhileAGreetedNodeKeepsItsStream() throws Exception {
    coordinator = PurgeCoordinator.open(dir.resolve("purge.log"), Duration.ofHours(1),
        Clock.systemUTC());
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        // 2 s, not less: the greeted node's hello must land within it even when it is the first
        // message a fresh JVM handles on a slow machine (FirstMessageDeadlineTest once missed 300 ms).
        .addService(new PurgeStreamService(coordinator, timer, Duration.ofSeconds(2)))
        .build().start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    Node greeted = new Node("n1", 0);
    assertTrue(greeted.next().getCaughtUp());

    StalledNode silent = new StalledNode(channel, null);
    io.grpc.Status status = io.grpc.Status.fromThrowable(silent.ended.get(10, TimeUnit.SECONDS));
    assertEquals(io.grpc.Status.Code.DEADLINE_EXCEEDED, status.getCode());
    assertEquals("no hello within PT2S", status.getDescription());
    assertTrue(silent.received.isEmpty(), "a stream that never said hello got " + silent.received);

    // The deadline has passed for both streams: the node that said hello still gets purges.
    coordinator.submit(tag("a"), "test");
    assertEquals(1, greeted.next().getSeq());
    assertEquals(java.util.List.of(new PurgeCoordinator.NodeProgress("n1", true, 0)),
        coordinator.nodeProgress());
  }

  /** Acks travel on their own stream: polls (with a deadline) until they have arrived. */
  private void awaitProgress(java.util.List<PurgeCoordinator.NodeProgress> expected)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!coordinator.nodeProgress().equals(expected)) {
      if (System.nanoTime() > deadline) {
        assertEquals(expected, coordinator.nodeProgress());
      }
      Thread.sleep(5);
    }
  }

  private void start(Clock clock, Duration retention) throws IOException {
    coordinator = PurgeCoordinator.open(dir.resolve("purge.log"), retention, clock);
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new PurgeStreamService(coordinator, timer, PurgeStreamService.HELLO_WITHIN))
        .build().start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
  }

  private void restart(Clock clock, Duration retention, String tornLine) throws IOException {
    stop();
    Files.writeString(dir.resolve("purge.log"), tornLine, java.nio.file.StandardOpenOption.APPEND);
    start(clock, retention);
  }

  private static PurgeCoordinator.PurgeSpec tag(String tag) {
    return new PurgeCoordinator.PurgeSpec(PurgeKind.TAG, tag, "", false);
  }

  /** A cache node's end of the purge stream. */
  private final class Node {
    private final BlockingQueue<PurgeCommand> received = new LinkedBlockingQueue<>();
    private final StreamObserver<NodeMessage> requests;

    Node(String id, long lastApplied) {
      requests = PurgeStreamGrpc.newStub(channel).follow(new StreamObserver<>() {
        @Override
        public void onNext(PurgeCommand command) {
          received.add(command);
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      });
      requests.onNext(NodeMessage.newBuilder().setHello(Hello.newBuilder().setNodeId(id)
          .setNodeGroup("g").setLastAppliedSeq(lastApplied)).build());
    }

    PurgeCommand next() throws InterruptedException {
      PurgeCommand command = received.poll(5, TimeUnit.SECONDS);
      if (command == null) {
        throw new AssertionError("no command within 5 s");
      }
      return command;
    }

    void ack(long seq) {
      requests.onNext(NodeMessage.newBuilder().setAck(Ack.newBuilder().setSeq(seq)).build());
    }
  }

  private static final class MovableClock extends Clock {
    volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
