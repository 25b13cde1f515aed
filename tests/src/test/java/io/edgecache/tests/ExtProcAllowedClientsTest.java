package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.config.NodeTls;
import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.security.ReloadingTls;
import io.edgecache.security.TlsFiles;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tls.allowedClients} on the ext_proc port: when the CA signs more than the proxies (a
 * mesh CA signs every workload), a certificate from that CA with an identity not listed cannot
 * open a stream, so it can neither plant nor read entries; the listed proxy (local-edge, playing
 * Envoy) caches as before.
 */
class ExtProcAllowedClientsTest {

  private static final String ENVOY = "spiffe://edgecache.test/ns/edge/sa/envoy";

  @TempDir Path dir;
  private TestCertificates.Ca ca;
  private Path caFile;
  private TestOrigin origin;
  private EdgeStack stack;
  private final List<String> warnings = new CopyOnWriteArrayList<>();
  private final Logger refusals = Logger.getLogger("io.edgecache.security.AllowedClients");
  private final Handler capture = new Handler() {
    @Override public void publish(LogRecord record) {
      warnings.add(record.getMessage());
    }
    @Override public void flush() {}
    @Override public void close() {}
  };

  @BeforeEach
  void start() throws Exception {
    refusals.addHandler(capture);
    ca = new TestCertificates.Ca(dir, "mesh-ca");
    caFile = TestCertificates.bundle(dir.resolve("ca.pem"), ca);
    // The edge presents the node's certificate (EdgeStack), so that is the proxy's identity here.
    TestCertificates.Leaf node = ca.issue("node", "envoy", ENVOY);
    origin = new TestOrigin();
    stack = EdgeStack.start(origin, ServerConfig.defaults().withTls(new NodeTls(
        node.trusting(caFile, TlsFiles.DEFAULT_REFRESH), Set.of(ENVOY))));
  }

  @AfterEach
  void stop() {
    refusals.removeHandler(capture);
    stack.close();
    origin.close();
  }

  @Test
  void theListedProxyCachesThroughThePort() throws Exception {
    origin.reply("/", TestOrigin.Reply.text("allowed\n", "cache-control", "public, max-age=60"));
    assertTrue(stack.get("/").headers().firstValue("cache-status").orElseThrow()
        .contains("stored"));
    HttpResponse<String> hit = stack.get("/");
    assertEquals("allowed\n", hit.body());
    assertTrue(hit.headers().firstValue("cache-status").orElseThrow().contains("hit"),
        hit.headers().toString());
  }

  @Test
  void anotherWorkloadOfTheSameCaIsRefusedInTheHandshakeAndLogged() throws Exception {
    TestCertificates.Leaf workload =
        ca.issue("workload", "shop", "spiffe://edgecache.test/ns/shop/sa/default");
    assertEquals(Status.Code.UNAVAILABLE, healthCheckWith(workload).getCode());
    assertTrue(warnings.stream().anyMatch(line -> line.contains(
            "identity \"spiffe://edgecache.test/ns/shop/sa/default\" is not in tls.allowedClients")),
        warnings.toString());
  }

  @Test
  void aCertificateNamingTheProxyOnlyByCommonNameIsRefused() throws Exception {
    // Identity is the SPIFFE ID when there is one: a CN that spells the listed ID is not it.
    TestCertificates.Leaf lookalike = ca.issue("lookalike", ENVOY, null);
    assertEquals(Status.Code.UNAVAILABLE, healthCheckWith(lookalike).getCode());
  }

  /** A health check on the ext_proc port presenting {@code leaf}; the status it fails with. */
  private Status healthCheckWith(TestCertificates.Leaf leaf) throws Exception {
    try (ReloadingTls tls = ReloadingTls.forClient(leaf.trusting(caFile, TlsFiles.DEFAULT_REFRESH))) {
      ManagedChannel channel = NettyChannelBuilder.forAddress("localhost", stack.server.port(),
          tls.channelCredentials()).build();
      try {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
            () -> HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance()));
        return e.getStatus();
      } finally {
        channel.shutdownNow();
      }
    }
  }
}
