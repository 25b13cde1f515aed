package io.edgecache.controlplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import io.edgecache.controlplane.xds.SnapshotTranslator;
import io.edgecache.proto.policy.v1.RoutePolicyMetadata;
import io.envoyproxy.controlplane.cache.Resources;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control plane over real gRPC: ADS state-of-the-world and delta, node groups, reloads. */
class ControlPlaneTest {
  @TempDir Path dir;
  Path file;
  ControlPlane controlPlane;
  ManagedChannel channel;
  final BlockingQueue<ControlPlane.Reload> reloads = new LinkedBlockingQueue<>();

  @BeforeEach
  void start() throws Exception {
    file = dir.resolve("control-plane.yaml");
    Files.writeString(file, SampleConfig.withoutPurge());
    controlPlane = ControlPlane.start(file, new InetSocketAddress("127.0.0.1", 0));
    controlPlane.onReload(reloads::add);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", controlPlane.port()).usePlaintext().build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    controlPlane.close();
  }

  @Test
  void nodeGroupsGetTheirOwnListenersOverAds() throws Exception {
    assertEquals(List.of("edge"), names(sotw("edge-gateway", Resources.V3.LISTENER_TYPE_URL)));
    assertEquals(List.of("sidecar-outbound"), names(sotw("sidecar", Resources.V3.LISTENER_TYPE_URL)));
  }

  @Test
  void deltaAdsServesTheSameResources() throws Exception {
    BlockingQueue<DeltaDiscoveryResponse> responses = new LinkedBlockingQueue<>();
    StreamObserver<DeltaDiscoveryRequest> requests = AggregatedDiscoveryServiceGrpc.newStub(channel)
        .deltaAggregatedResources(collector(responses));
    requests.onNext(DeltaDiscoveryRequest.newBuilder().setNode(node("edge-gateway"))
        .setTypeUrl(Resources.V3.CLUSTER_TYPE_URL).build());
    DeltaDiscoveryResponse response = responses.poll(10, TimeUnit.SECONDS);
    assertNotNull(response, "no delta response");
    assertEquals(List.of("demo-origin", "edgecache_body", "edgecache_ext_proc"),
        response.getResourcesList().stream().map(Resource::getName).sorted().toList());
    requests.onCompleted();
  }

  @Test
  void validEditIsPushedAndInvalidEditKeepsTheLastGoodSnapshot() throws Exception {
    BlockingQueue<DiscoveryResponse> responses = new LinkedBlockingQueue<>();
    StreamObserver<DiscoveryRequest> requests = AggregatedDiscoveryServiceGrpc.newStub(channel)
        .streamAggregatedResources(collector(responses));
    DiscoveryRequest subscribe = DiscoveryRequest.newBuilder().setNode(node("edge-gateway"))
        .setTypeUrl(Resources.V3.ROUTE_TYPE_URL).addResourceNames("edge").build();
    requests.onNext(subscribe);
    DiscoveryResponse first = responses.poll(10, TimeUnit.SECONDS);
    assertNotNull(first);
    assertEquals("1", first.getVersionInfo());
    requests.onNext(subscribe.toBuilder().setVersionInfo("1").setResponseNonce(first.getNonce()).build());

    String sample = Files.readString(file);
    Files.writeString(file, sample.replace("cluster: demo-origin\n        timeout", "cluster: nowhere\n        timeout"));
    ControlPlane.Reload rejected = reloads.poll(10, TimeUnit.SECONDS);
    assertNotNull(rejected, "the watcher did not reload");
    assertFalse(rejected.accepted());
    assertTrue(rejected.error().startsWith(file + ":"), rejected.error());
    assertTrue(rejected.error().contains(": sites[0].routes[2].cluster: unknown cluster 'nowhere'"), rejected.error());
    assertEquals("1", controlPlane.version());

    Files.writeString(file, sample.replace("defaultTtl: 60s", "defaultTtl: 5s"));
    ControlPlane.Reload accepted = reloads.poll(10, TimeUnit.SECONDS);
    assertTrue(accepted.accepted(), accepted.error());
    DiscoveryResponse pushed = responses.poll(10, TimeUnit.SECONDS);
    assertNotNull(pushed, "the new version was not pushed");
    assertEquals("2", pushed.getVersionInfo());
    RouteConfiguration routes = pushed.getResources(0).unpack(RouteConfiguration.class);
    assertTrue(pushedDefaultTtls(routes).contains(5L), routes.toString());
    requests.onCompleted();
  }

  /** The default TTLs (seconds) of the route policies {@code routes} sends to the node. */
  private static List<Long> pushedDefaultTtls(RouteConfiguration routes) throws Exception {
    List<Long> ttls = new ArrayList<>();
    for (VirtualHost host : routes.getVirtualHostsList()) {
      for (Route route : host.getRoutesList()) {
        Any perRoute = route.getTypedPerFilterConfigMap().get(SnapshotTranslator.EXT_PROC_FILTER);
        if (perRoute == null) {
          continue;
        }
        for (HeaderValue entry : perRoute.unpack(ExtProcPerRoute.class).getOverrides()
            .getGrpcInitialMetadataList()) {
          if (entry.getKey().equals(RoutePolicyMetadata.POLICY_KEY)) {
            ttls.add(RoutePolicyMetadata.parse(entry.getValue().getBytes(StandardCharsets.US_ASCII))
                .getDefaultTtl().getSeconds());
          }
        }
      }
    }
    return ttls;
  }

  @Test
  void metricsCountStreamsPushesAndNacks() throws Exception {
    BlockingQueue<DiscoveryResponse> responses = new LinkedBlockingQueue<>();
    StreamObserver<DiscoveryRequest> requests = AggregatedDiscoveryServiceGrpc.newStub(channel)
        .streamAggregatedResources(collector(responses));
    requests.onNext(DiscoveryRequest.newBuilder().setNode(node("edge-gateway"))
        .setTypeUrl(Resources.V3.LISTENER_TYPE_URL).build());
    DiscoveryResponse pushed = responses.poll(10, TimeUnit.SECONDS);
    assertNotNull(pushed);
    // Reject it, as a node that cannot apply the listener would.
    requests.onNext(DiscoveryRequest.newBuilder().setNode(node("edge-gateway"))
        .setTypeUrl(Resources.V3.LISTENER_TYPE_URL).setResponseNonce(pushed.getNonce())
        .setErrorDetail(com.google.rpc.Status.newBuilder().setMessage("cannot apply")).build());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (controlPlane.metrics().nacks() < 1 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
    controlPlane.metrics().writePrometheus(text);
    String metrics = text.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(metrics.contains("edgecache_xds_streams 1"), metrics);
    assertTrue(metrics.contains("edgecache_xds_pushes_total 1"), metrics);
    assertTrue(metrics.contains("edgecache_xds_nacks_total 1"), metrics);
    assertTrue(metrics.contains("edgecache_config_version 1"), metrics);
    requests.onCompleted();
  }

  private DiscoveryResponse sotw(String group, String typeUrl) throws InterruptedException {
    BlockingQueue<DiscoveryResponse> responses = new LinkedBlockingQueue<>();
    StreamObserver<DiscoveryRequest> requests = AggregatedDiscoveryServiceGrpc.newStub(channel)
        .streamAggregatedResources(collector(responses));
    requests.onNext(DiscoveryRequest.newBuilder().setNode(node(group)).setTypeUrl(typeUrl).build());
    DiscoveryResponse response = responses.poll(10, TimeUnit.SECONDS);
    assertNotNull(response, "no response for " + group);
    requests.onCompleted();
    return response;
  }

  private static List<String> names(DiscoveryResponse response) {
    return response.getResourcesList().stream().map(Resources::getResourceName).sorted().toList();
  }

  private static Node node(String cluster) {
    return Node.newBuilder().setId("test-" + cluster).setCluster(cluster).build();
  }

  private static <T> StreamObserver<T> collector(BlockingQueue<T> into) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        into.add(value);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
  }
}
