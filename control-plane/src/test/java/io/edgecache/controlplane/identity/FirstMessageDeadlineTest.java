package io.edgecache.controlplane.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.edgecache.controlplane.config.NodeAccess;
import io.edgecache.controlplane.xds.NodeGroups;
import io.envoyproxy.controlplane.cache.v3.SimpleCache;
import io.envoyproxy.controlplane.server.V3DiscoveryServer;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The first-message bound on node-facing streams, over a real ADS server (java-control-plane)
 * behind {@link NodeGuard} on loopback gRPC.
 */
class FirstMessageDeadlineTest {

  /**
   * Long enough that the speaking stream's first message always lands within it: on a slow
   * machine the first ADS message of a fresh JVM (class loading in java-control-plane) once took
   * longer than the 300 ms this was, and the speaking stream was closed too.
   */
  private static final Duration BOUND = Duration.ofSeconds(3);

  private NodeGuard guard;
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    guard = new NodeGuard(NodeAccess.open(), id -> { }, BOUND);
    V3DiscoveryServer xds = new V3DiscoveryServer(new SimpleCache<>(new NodeGroups()));
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(guard.xds(xds.getAggregatedDiscoveryServiceImpl()))
        .build()
        .start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow();
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    guard.close();
  }

  @Test
  void aSilentStreamIsClosedAndOneThatSpokeIsNot() throws Exception {
    CompletableFuture<Status> speaking = new CompletableFuture<>();
    StreamObserver<DiscoveryRequest> spoke = open(speaking);
    spoke.onNext(DiscoveryRequest.newBuilder()
        .setNode(Node.newBuilder().setId("envoy-1").setCluster("edge-gateway"))
        .setTypeUrl("type.googleapis.com/envoy.config.listener.v3.Listener").build());

    CompletableFuture<Status> silent = new CompletableFuture<>();
    open(silent); // opened after the first, so its deadline passes after the first's would
    Status closed = silent.get(10, TimeUnit.SECONDS);
    assertEquals(Status.Code.DEADLINE_EXCEEDED, closed.getCode(), closed.toString());

    // The speaking stream is still open: it ends as its peer ends it, not by the deadline.
    spoke.onCompleted();
    assertEquals(Status.Code.OK, speaking.get(10, TimeUnit.SECONDS).getCode());
  }

  /** Opens an ADS stream whose final status completes {@code ended}. */
  private StreamObserver<DiscoveryRequest> open(CompletableFuture<Status> ended) {
    return AggregatedDiscoveryServiceGrpc.newStub(channel)
        .streamAggregatedResources(new StreamObserver<DiscoveryResponse>() {
          @Override
          public void onNext(DiscoveryResponse response) {}

          @Override
          public void onError(Throwable t) {
            ended.complete(Status.fromThrowable(t));
          }

          @Override
          public void onCompleted() {
            ended.complete(Status.OK);
          }
        });
  }
}
