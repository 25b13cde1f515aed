package io.edgecache.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.Durations;
import io.edgecache.edge.config.EnvoyBootstrapLoader;
import io.edgecache.edge.config.LocalEdgeConfig;
import io.edgecache.edge.config.RouteConfig;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The ext_proc connections as Envoy holds them: each worker has its own connection pool per
 * cluster (Envoy's connection pooling overview, "Number of connection pools"), and Envoy runs
 * one worker per hardware thread by default. So the processor sees one HTTP/2 connection per
 * worker, and a request's stream goes over the connection of the worker its client connection
 * was accepted on. Workers take accepted connections in turn, so that many client connections
 * opened one after another land on every worker once.
 */
@Timeout(60)
class ProcessorConnectionsTest {
  private static final int WORKERS = Runtime.getRuntime().availableProcessors();

  private final ScriptedExtProcServer processor;
  private final TestOrigin origin;
  private LocalEdge edge;

  ProcessorConnectionsTest() throws Exception {
    processor = new ScriptedExtProcServer();
    origin = new TestOrigin();
  }

  private void startEdge(boolean warmUp) throws Exception {
    var filter = EnvoyBootstrapLoader.loadExternalProcessor(RepoFiles.envoyYaml());
    edge = LocalEdge.start(LocalEdgeConfig.builder()
        .warmUpProcessor(warmUp)
        .listen("127.0.0.1", 0)
        .externalProcessor(filter.toBuilder()
            .setFailureModeAllow(false)
            .setMessageTimeout(Durations.fromSeconds(10))
            .build())
        .extProcTarget("127.0.0.1", processor.port())
        .route(RouteConfig.of("*", "/", origin.url()))
        .build());
  }

  @AfterEach
  void stop() throws Exception {
    edge.close();
    processor.close();
    origin.close();
  }

  @Test
  void eachWorkerHasItsOwnConnectionToTheProcessor() throws Exception {
    startEdge(false);

    List<SocketAddress> perClientConnection = new ArrayList<>();
    for (int i = 0; i <= WORKERS; i++) {
      try (RawClient client = new RawClient(edge.port())) {
        perClientConnection.add(peerOf(client, "/c" + i));
        if (i == 0) {
          assertEquals(perClientConnection.get(0), peerOf(client, "/c0-again"),
              "two requests of one client connection went over different processor connections");
        }
      }
    }

    Set<SocketAddress> distinct = new HashSet<>(perClientConnection.subList(0, WORKERS));
    assertEquals(WORKERS, distinct.size(),
        "one client connection per worker should give one processor connection per worker: "
            + perClientConnection);
    assertEquals(perClientConnection.get(0), perClientConnection.get(WORKERS),
        "the worker that took the first client connection took the one after the last worker: "
            + perClientConnection);
  }

  /** The warm-up opens every worker's connection, so no request pays a connection set-up. */
  @Test
  void theWarmUpOpensEveryWorkersConnection() throws Exception {
    startEdge(true);
    Set<SocketAddress> warmedUp = new HashSet<>();
    processor.streamPeers.drainTo(warmedUp);
    assertEquals(WORKERS, warmedUp.size(), "warm-up streams came on " + warmedUp);

    for (int i = 0; i < WORKERS; i++) {
      try (RawClient client = new RawClient(edge.port())) {
        SocketAddress peer = peerOf(client, "/w" + i);
        assertTrue(warmedUp.contains(peer), peer + " was not opened by the warm-up " + warmedUp);
      }
    }
  }

  /** Sends {@code path} on {@code client}; the address its ext_proc stream came from. */
  private SocketAddress peerOf(RawClient client, String path) throws Exception {
    client.send(RawClient.get(path));
    assertEquals(200, client.read().status());
    SocketAddress peer = processor.streamPeers.poll(5, TimeUnit.SECONDS);
    assertNotNull(peer, "no ext_proc stream for " + path);
    return peer;
  }
}
