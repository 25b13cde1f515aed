package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ext_proc port under mTLS: local-edge (playing Envoy with an UpstreamTlsContext) caches
 * through it; a client without a certificate, or with one from another CA, cannot open a
 * stream — so it can neither plant nor read cache entries.
 */
class MtlsExtProcTest {

  @TempDir Path dir;
  private TestCertificates.Ca ca;
  private Path caFile;
  private TestOrigin origin;
  private EdgeStack stack;

  @BeforeEach
  void start() throws Exception {
    ca = new TestCertificates.Ca(dir, "edgecache-test");
    caFile = TestCertificates.bundle(dir.resolve("ca.pem"), ca);
    TestCertificates.Leaf node = ca.issue("node", "node-1", "spiffe://edgecache.test/node/1");
    origin = new TestOrigin();
    stack = EdgeStack.start(origin, ServerConfig.defaults().withTls(node.trusting(caFile, TlsFiles.DEFAULT_REFRESH)));
  }

  @AfterEach
  void stop() {
    stack.close();
    origin.close();
  }

  @Test
  void theEdgeCachesThroughTheMtlsHop() throws Exception {
    origin.reply("/", TestOrigin.Reply.text("over mTLS\n", "cache-control", "public, max-age=60"));
    HttpResponse<String> miss = stack.get("/");
    assertEquals(200, miss.statusCode());
    assertTrue(miss.headers().firstValue("cache-status").orElseThrow().contains("stored"),
        miss.headers().toString());
    HttpResponse<String> hit = stack.get("/");
    assertEquals("over mTLS\n", hit.body());
    assertTrue(hit.headers().firstValue("cache-status").orElseThrow().contains("hit"),
        hit.headers().toString());
  }

  @Test
  void plaintextClientIsRefused() {
    Status status = healthCheck(port -> NettyChannelBuilder.forAddress("localhost", port).usePlaintext().build());
    assertEquals(Status.Code.UNAVAILABLE, status.getCode());
  }

  @Test
  void certificateFromAnotherCaIsRefused() throws Exception {
    TestCertificates.Ca other = new TestCertificates.Ca(dir, "other");
    TestCertificates.Leaf impostor = other.issue("impostor", "node-1", "spiffe://edgecache.test/node/1");
    try (ReloadingTls tls = ReloadingTls.forClient(impostor.trusting(caFile, TlsFiles.DEFAULT_REFRESH))) {
      Status status = healthCheck(port -> NettyChannelBuilder.forAddress("localhost", port, tls.channelCredentials())
          .build());
      assertEquals(Status.Code.UNAVAILABLE, status.getCode());
    }
  }

  /** A health check on the ext_proc port over {@code channel}; the status it fails with. */
  private Status healthCheck(Function<Integer, ManagedChannel> channel) {
    ManagedChannel open = channel.apply(stack.server.port());
    try {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> HealthGrpc.newBlockingStub(open)
          .withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()));
      return e.getStatus();
    } finally {
      open.shutdownNow();
    }
  }
}
