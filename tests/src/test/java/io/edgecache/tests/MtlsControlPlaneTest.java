package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.Status;
import io.edgecache.controlplane.ControlPlane;
import io.edgecache.controlplane.purge.PurgeCoordinator;
import io.edgecache.controlplane.xds.NackListener;
import io.edgecache.extproc.CacheNode;
import io.edgecache.extproc.ExtProcServer;
import io.edgecache.extproc.config.NodeTls;
import io.edgecache.extproc.testing.ManualClock;
import io.edgecache.proto.purge.v1.Ack;
import io.edgecache.proto.purge.v1.Hello;
import io.edgecache.proto.purge.v1.NodeMessage;
import io.edgecache.proto.purge.v1.PurgeCommand;
import io.edgecache.proto.purge.v1.PurgeKind;
import io.edgecache.proto.purge.v1.PurgeStatus;
import io.edgecache.proto.purge.v1.PurgeStreamGrpc;
import io.edgecache.security.ReloadingTls;
import io.edgecache.security.TlsFiles;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control plane's xDS/purge port under mTLS, attacked as the issue describes, over real gRPC
 * streams with certificates generated here: who may connect, which node id a certificate may
 * claim, whose ack counts, what an unknown identity gets, how many node ids are kept, how a NACK
 * is logged, and a certificate rotation under live streams.
 */
class MtlsControlPlaneTest {

  private static final Duration DEADLINE = Duration.ofSeconds(20);
  /** grpc-java checks certificate files once a minute at most; a rotation shows within two. */
  private static final Duration ROTATION_DEADLINE = Duration.ofSeconds(150);
  /** The bound on every stream the test opens: long enough to outlive a rotation. */
  private static final Duration STREAM_DEADLINE = ROTATION_DEADLINE.plus(DEADLINE);
  private static final String NODE_A = "spiffe://edgecache.test/node/a";
  private static final String NODE_B = "spiffe://edgecache.test/node/b";
  private static final String POOL = "spiffe://edgecache.test/pool/edge";
  private static final String STRANGER = "spiffe://edgecache.test/node/stranger";
  private static final int MAX_NODE_IDS = 50;

  @TempDir Path dir;
  private TestCertificates.Ca ca;
  private TestCertificates.Leaf server;
  private Path caFile;
  private ControlPlane controlPlane;
  private final List<AutoCloseable> cleanup = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    ca = new TestCertificates.Ca(dir, "edgecache-test");
    caFile = TestCertificates.bundle(dir.resolve("ca.pem"), ca);
    server = ca.issue("control-plane", "control-plane", null);
    // The admin API's port must be written in the file (the control plane refuses port 0).
    controlPlane = LoopbackPorts.retryOnClash(() -> {
      Files.writeString(dir.resolve("control-plane.yaml"), PurgeCluster.DEFAULT_ORIGIN + PurgeCluster.ONE_SITE + """
          purge:
            adminListen: 127.0.0.1:%d
            log: purge.log
            tokens:
              - {name: ops, token: admin-token-0123456789abcdef}
          tls:
            certFile: control-plane.crt
            keyFile: control-plane.key
            caFile: ca.pem
          nodes:
            maxNodeIds: %d
            identities:
              - {identity: "%s", nodeIds: [node-a], groups: [edge-gateway]}
              - {identity: "%s", nodeIds: [node-b], groups: [edge-gateway]}
              - {identity: "%s"}
          """.formatted(LoopbackPorts.probe(), MAX_NODE_IDS, NODE_A, NODE_B, POOL));
      return ControlPlane.start(dir.resolve("control-plane.yaml"), new InetSocketAddress("127.0.0.1", 0));
    });
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = cleanup.size() - 1; i >= 0; i--) {
      cleanup.get(i).close();
    }
    controlPlane.close();
  }

  @Test
  void plaintextClientIsRefused() throws Exception {
    ManagedChannel plaintext = NettyChannelBuilder.forAddress("localhost", controlPlane.port()).usePlaintext().build();
    cleanup.add(plaintext::shutdownNow);
    Follower follower = Follower.connect(plaintext, "node-a", 0);
    assertEquals(io.grpc.Status.Code.UNAVAILABLE, follower.awaitEnd().getCode());
    assertEquals(0, controlPlane.nodeGuard().purgeNodeIds());
  }

  @Test
  void certificateFromAnotherCaIsRefused() throws Exception {
    TestCertificates.Ca otherCa = new TestCertificates.Ca(dir, "other");
    // Same identity as a real node, but issued by a CA the control plane does not trust.
    TestCertificates.Leaf impostor = otherCa.issue("impostor", "node-a", NODE_A);
    Follower follower = Follower.connect(channel(impostor), "node-a", 0);
    assertEquals(io.grpc.Status.Code.UNAVAILABLE, follower.awaitEnd().getCode());
    assertEquals(0, controlPlane.nodeGuard().purgeNodeIds());
  }

  @Test
  void nodeClaimingAnotherNodesIdIsRefusedAndTheRealNodeKeepsItsStream() throws Exception {
    // Node B is a real cache node following the purge stream over mTLS.
    TestCertificates.Leaf b = ca.issue("node-b", "node-b", NODE_B);
    CacheNode nodeB = new CacheNode(PurgeCluster.nodeConfig(controlPlane.port(), "node-b")
        .withTls(b.trusting(caFile, TlsFiles.DEFAULT_REFRESH)), new ManualClock(Instant.now()),
        io.edgecache.extproc.telemetry.Telemetry.disabled());
    cleanup.add(nodeB::close);
    PurgeCluster.awaitServingHits(nodeB);

    Follower fromA = Follower.connect(channel(ca.issue("node-a", "node-a", NODE_A)), "node-b", 0);
    io.grpc.Status refusedA = fromA.awaitEnd();
    System.out.println("node A's certificate claiming node-b: " + refusedA);
    assertEquals(io.grpc.Status.Code.PERMISSION_DENIED, refusedA.getCode());

    // An identity allowed any node id still cannot take one bound to another identity.
    Follower fromPool = Follower.connect(channel(ca.issue("pool", "pool", POOL)), "node-b", 0);
    io.grpc.Status refusedPool = fromPool.awaitEnd();
    System.out.println("a pool certificate claiming node-b: " + refusedPool);
    assertEquals(io.grpc.Status.Code.PERMISSION_DENIED, refusedPool.getCode());

    assertTrue(nodeB.servesHits(), "node B lost its purge stream");
    PurgeCoordinator coordinator = controlPlane.purge().orElseThrow().coordinator();
    PurgeStatus purge = coordinator.submit(new PurgeCoordinator.PurgeSpec(PurgeKind.URL, "/x", "example.com", false), "test");
    PurgeStatus done = coordinator.completion(purge).get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    assertEquals(List.of("node-b"), done.getAckedNodesList());
  }

  /**
   * A sidecar's node (tls.extProcPort: plaintext): its pod's Envoy calls the ext_proc port over
   * loopback without TLS, while the node's purge stream presents its certificate and follows the
   * control plane as node-b, acking a purge.
   */
  @Test
  void aNodeWhoseLoopbackExtProcPortIsPlaintextFollowsThePurgeStreamOverMtls() throws Exception {
    TlsFiles b = ca.issue("node-b", "node-b", NODE_B).trusting(caFile, TlsFiles.DEFAULT_REFRESH);
    ExtProcServer server = ExtProcServer.start(PurgeCluster.nodeConfig(controlPlane.port(), "node-b")
            .withListen(new InetSocketAddress("127.0.0.1", 0)).withAdminListen(null)
            .withTls(new NodeTls(b, Set.of(), false)),
        Clock.systemUTC(), io.edgecache.extproc.telemetry.Telemetry.disabled(), "test");
    cleanup.add(server::close);
    PurgeCluster.awaitServingHits(server.node());

    ManagedChannel plaintext = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    cleanup.add(plaintext::shutdownNow);
    HealthCheckResponse health = HealthGrpc.newBlockingStub(plaintext)
        .withDeadlineAfter(DEADLINE.toSeconds(), TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance());
    assertNotNull(health.getStatus(), "the ext_proc port answers plaintext gRPC");
    PurgeCoordinator coordinator = controlPlane.purge().orElseThrow().coordinator();
    PurgeStatus purge = coordinator.submit(new PurgeCoordinator.PurgeSpec(PurgeKind.URL, "/x", "example.com", false), "test");
    assertEquals(List.of("node-b"),
        coordinator.completion(purge).get(DEADLINE.toSeconds(), TimeUnit.SECONDS).getAckedNodesList());
  }

  @Test
  void forgedAckIsIgnoredAndThePurgeCompletesOnlyWhenTheRealNodeAcks() throws Exception {
    Follower realB = Follower.connect(channel(ca.issue("node-b", "node-b", NODE_B)), "node-b", 0);
    assertTrue(realB.next().getCaughtUp());
    PurgeCoordinator coordinator = controlPlane.purge().orElseThrow().coordinator();
    PurgeStatus purge = coordinator.submit(new PurgeCoordinator.PurgeSpec(PurgeKind.URL, "/x", "example.com", false), "test");
    CompletableFuture<PurgeStatus> completion = coordinator.completion(purge);
    assertEquals(purge.getSeq(), realB.next().getSeq());

    ManagedChannel attacker = channel(ca.issue("pool", "pool", POOL));
    // An ack on a stream that claims node-b: the claim is refused, the ack never counts.
    Follower claiming = Follower.connect(attacker, "node-b", 0);
    claiming.ack(purge.getSeq());
    assertEquals(io.grpc.Status.Code.PERMISSION_DENIED, claiming.awaitEnd().getCode());
    // An ack on a stream that claims nothing.
    Follower silent = Follower.open(attacker);
    silent.ack(purge.getSeq());
    silent.requests.onCompleted();
    silent.awaitEnd();

    PurgeStatus status = coordinator.status(purge.getPurgeId());
    assertFalse(status.getComplete(), "a forged ack completed the purge: " + status);
    assertEquals(List.of("node-b"), status.getPendingNodesList());
    assertFalse(completion.isDone());

    realB.ack(purge.getSeq());
    assertEquals(List.of("node-b"),
        completion.get(DEADLINE.toSeconds(), TimeUnit.SECONDS).getAckedNodesList());
  }

  @Test
  void unknownIdentityGetsNoConfiguration() throws Exception {
    Ads stranger = Ads.open(channel(ca.issue("stranger", "stranger", STRANGER)));
    stranger.requests.onNext(listeners("node-s"));
    io.grpc.Status refused = stranger.ended.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    assertEquals(io.grpc.Status.Code.PERMISSION_DENIED, refused.getCode());
    assertTrue(stranger.responses.isEmpty(), "an unknown identity got " + stranger.responses);
    Follower purge = Follower.connect(channel(ca.issue("stranger", "stranger", STRANGER)), "node-s", 0);
    assertEquals(io.grpc.Status.Code.PERMISSION_DENIED, purge.awaitEnd().getCode());

    // The same request from a listed identity is answered.
    Ads known = Ads.open(channel(ca.issue("node-a", "node-a", NODE_A)));
    known.requests.onNext(listeners("node-a"));
    DiscoveryResponse response = known.responses.poll(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    assertNotNull(response, "a listed identity got no configuration");
    assertEquals(1, response.getResourcesCount());
    known.requests.onCompleted();
  }

  @Test
  void tenThousandNodeIdsStayWithinTheBound() throws Exception {
    PurgeCoordinator coordinator = controlPlane.purge().orElseThrow().coordinator();
    PurgeStatus first = coordinator.submit(new PurgeCoordinator.PurgeSpec(PurgeKind.URL, "/x", "example.com", false), "test");
    ManagedChannel pool = channel(ca.issue("pool", "pool", POOL));
    int admitted = 0;
    for (int batch = 0; batch < 100; batch++) {
      List<Follower> followers = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        // Each says it applied the first purge, so the coordinator would list it as acked.
        Follower follower = Follower.connect(pool, "flood-" + (batch * 100 + i), first.getSeq());
        follower.requests.onCompleted();
        followers.add(follower);
      }
      for (Follower follower : followers) {
        if (follower.awaitEnd().isOk()) {
          admitted++;
        }
      }
      assertTrue(controlPlane.nodeGuard().purgeNodeIds() <= MAX_NODE_IDS);
    }
    int remembered = controlPlane.nodeGuard().purgeNodeIds();
    int listed = coordinator.status(first.getPurgeId()).getAckedNodesCount();
    System.out.println("10000 node ids attempted: " + admitted + " admitted one after another; registry holds "
        + remembered + ", purge status lists " + listed + " (bound " + MAX_NODE_IDS + ")");
    assertTrue(admitted > MAX_NODE_IDS, "the flood never got past the bound, so it tested nothing");
    assertTrue(remembered <= MAX_NODE_IDS);
    assertTrue(listed <= MAX_NODE_IDS, "the purge coordinator kept " + listed + " nodes");
  }

  @Test
  void nackIsLoggedOnOneEscapedLine() throws Exception {
    List<String> lines = new CopyOnWriteArrayList<>();
    Logger nackLog = Logger.getLogger(NackListener.class.getName());
    Handler capture = new Handler() {
      @Override
      public void publish(LogRecord record) {
        lines.add(record.getMessage());
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    nackLog.addHandler(capture);
    cleanup.add(() -> nackLog.removeHandler(capture));
    CompletableFuture<NackListener.Nack> nacked = new CompletableFuture<>();
    controlPlane.onNack(nacked::complete);

    Ads node = Ads.open(channel(ca.issue("node-a", "node-a", NODE_A)));
    node.requests.onNext(listeners("node-a"));
    DiscoveryResponse response = node.responses.poll(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    assertNotNull(response);
    String forged = "bad listener\n2026-12-02 control-plane: INFO: purge p1 complete\r\u0007\u001b[31m\u202e"
        + "x".repeat(2000);
    node.requests.onNext(listeners("node-a").toBuilder()
        .setResponseNonce(response.getNonce())
        .setErrorDetail(Status.newBuilder().setCode(3).setMessage(forged))
        .build());
    nacked.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    node.requests.onCompleted();

    String line = lines.stream().filter(l -> l.startsWith("NACK")).findFirst().orElseThrow();
    System.out.println("escaped NACK log line: " + line);
    assertFalse(line.chars().anyMatch(c -> c < 0x20 || c == 0x7f || c == 0x202e), "raw control characters in: " + line);
    assertTrue(line.contains("error_detail=\"bad listener\\n2026-12-02 control-plane: INFO: purge p1 complete\\r\\u0007\\u001b[31m\\u202e"));
    assertTrue(line.endsWith("more chars)"), "not truncated: " + line.length() + " chars");
    assertTrue(line.length() < 1000);
  }

  /**
   * Takes about a minute: grpc-java's file reloader looks at the files once a minute, and the
   * files are rotated right after the start so its first look sees them.
   */
  @Test
  void rotatedCertificateIsPickedUpWithoutRestartOrDroppingStreams() throws Exception {
    Follower before = Follower.connect(channel(ca.issue("node-b", "node-b", NODE_B)), "node-b", 0);
    assertTrue(before.next().getCaughtUp());

    // A CA rotation: the server gets a certificate from the new CA and trusts both.
    TestCertificates.Ca newCa = new TestCertificates.Ca(dir, "edgecache-test-2");
    TestCertificates.Leaf newClient = newCa.issue("pool-2", "pool", POOL);
    TestCertificates.bundle(caFile, ca, newCa);
    newCa.reissue(server, "control-plane", null);

    // A client that knows only the new CA connects once the server has reloaded its files.
    Path newCaOnly = TestCertificates.bundle(dir.resolve("new-ca.pem"), newCa);
    long deadline = System.nanoTime() + ROTATION_DEADLINE.toNanos();
    Follower after = null;
    int attempts = 0;
    io.grpc.Status lastFailure = null;
    while (after == null) {
      assertTrue(System.nanoTime() < deadline,
          "the rotated certificate was not picked up in " + ROTATION_DEADLINE + "; last attempt: " + lastFailure);
      attempts++;
      Follower attempt = Follower.connect(channel(newClient, newCaOnly), "node-new", 0);
      PurgeCommand first = attempt.commands.poll(1, TimeUnit.SECONDS);
      if (first != null && first.getCaughtUp()) {
        after = attempt;
      } else {
        lastFailure = attempt.ended.getNow(null);
        attempt.requests.cancel("retrying", null);
      }
    }
    System.out.println("rotated certificate in use after " + attempts + " connection attempt(s)");

    PurgeCoordinator coordinator = controlPlane.purge().orElseThrow().coordinator();
    PurgeStatus purge = coordinator.submit(new PurgeCoordinator.PurgeSpec(PurgeKind.URL, "/x", "example.com", false), "test");
    assertEquals(purge.getSeq(), before.next().getSeq(), "the stream opened before the rotation was dropped");
    assertEquals(purge.getSeq(), after.next().getSeq());
    assertNull(before.ended.getNow(null));
  }

  // --- helpers ---

  private ManagedChannel channel(TestCertificates.Leaf leaf) throws Exception {
    return channel(leaf, caFile);
  }

  private ManagedChannel channel(TestCertificates.Leaf leaf, Path trusted) throws Exception {
    ReloadingTls tls = ReloadingTls.forClient(leaf.trusting(trusted, TlsFiles.DEFAULT_REFRESH));
    ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", controlPlane.port(), tls.channelCredentials())
        .build();
    cleanup.add(tls);
    cleanup.add(channel::shutdownNow);
    return channel;
  }

  private static DiscoveryRequest listeners(String nodeId) {
    return DiscoveryRequest.newBuilder()
        .setNode(Node.newBuilder().setId(nodeId).setCluster("edge-gateway"))
        .setTypeUrl("type.googleapis.com/envoy.config.listener.v3.Listener")
        .build();
  }

  /** A purge-stream client whose acks the test sends itself. */
  static final class Follower extends Received<PurgeCommand>
      implements ClientResponseObserver<NodeMessage, PurgeCommand> {
    final BlockingQueue<PurgeCommand> commands = received;
    ClientCallStreamObserver<NodeMessage> requests;

    static Follower open(ManagedChannel channel) {
      Follower follower = new Follower();
      PurgeStreamGrpc.newStub(channel).withDeadlineAfter(STREAM_DEADLINE.toSeconds(), TimeUnit.SECONDS)
          .follow(follower);
      return follower;
    }

    static Follower connect(ManagedChannel channel, String nodeId, long lastApplied) {
      Follower follower = open(channel);
      follower.requests.onNext(NodeMessage.newBuilder()
          .setHello(Hello.newBuilder().setNodeId(nodeId).setNodeGroup("edge-gateway").setLastAppliedSeq(lastApplied))
          .build());
      return follower;
    }

    void ack(long seq) {
      requests.onNext(NodeMessage.newBuilder().setAck(Ack.newBuilder().setSeq(seq)).build());
    }

    PurgeCommand next() throws InterruptedException {
      PurgeCommand command = commands.poll(DEADLINE.toSeconds(), TimeUnit.SECONDS);
      assertNotNull(command, "no purge command within " + DEADLINE + "; stream ended: " + ended.getNow(null));
      return command;
    }

    io.grpc.Status awaitEnd() throws Exception {
      return ended.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<NodeMessage> requestStream) {
      requests = requestStream;
    }
  }

  /** An ADS client stream. */
  static final class Ads extends Received<DiscoveryResponse> {
    final BlockingQueue<DiscoveryResponse> responses = received;
    StreamObserver<DiscoveryRequest> requests;

    static Ads open(ManagedChannel channel) {
      Ads ads = new Ads();
      ads.requests = AggregatedDiscoveryServiceGrpc.newStub(channel)
          .withDeadlineAfter(STREAM_DEADLINE.toSeconds(), TimeUnit.SECONDS).streamAggregatedResources(ads);
      return ads;
    }
  }

  /** What a client stream received, and the status it ended with. */
  abstract static class Received<T> implements StreamObserver<T> {
    final BlockingQueue<T> received = new LinkedBlockingQueue<>();
    final CompletableFuture<io.grpc.Status> ended = new CompletableFuture<>();

    @Override
    public void onNext(T message) {
      received.add(message);
    }

    @Override
    public void onError(Throwable t) {
      ended.complete(io.grpc.Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      ended.complete(io.grpc.Status.OK);
    }
  }
}
