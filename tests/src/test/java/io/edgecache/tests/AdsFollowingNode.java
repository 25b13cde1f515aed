package io.edgecache.tests;

import io.edgecache.edge.LocalEdge;
import io.edgecache.edge.config.EnvoyBootstrapLoader;
import io.edgecache.edge.config.LocalEdgeConfig;
import io.edgecache.edge.config.XdsSource;
import io.edgecache.extproc.ExtProcServer;
import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.telemetry.Telemetry;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.Optional;

/**
 * A cache node as deployed with a control plane: an ext_proc server following the purge stream
 * (as its configuration says) and a local-edge that takes its listener, routes and clusters from
 * the control plane over ADS. Real clock: these tests measure reconnection and grace in real
 * time.
 */
final class AdsFollowingNode implements AutoCloseable {

  final ExtProcServer server;
  final LocalEdge edge;

  AdsFollowingNode(ServerConfig config, int xdsPort, String nodeId) throws Exception {
    server = ExtProcServer.start(config.withListen(new InetSocketAddress("127.0.0.1", 0))
        .withAdminListen(new InetSocketAddress("127.0.0.1", 0)), Clock.systemUTC(),
        Telemetry.disabled(), "test");
    edge = LocalEdge.start(LocalEdgeConfig.builder()
        .listen("127.0.0.1", 0)
        .externalProcessor(EdgeStack.withPatientTimers(
            EnvoyBootstrapLoader.loadExternalProcessor(RepoPaths.envoyBootstrap())))
        .extProcTarget("127.0.0.1", server.port())
        .xds(new XdsSource("127.0.0.1", xdsPort, nodeId, "edge-gateway", Optional.empty()))
        .build());
  }

  String url(String path) {
    return "http://127.0.0.1:" + edge.port() + path;
  }

  @Override
  public void close() {
    edge.close();
    server.close();
  }
}
