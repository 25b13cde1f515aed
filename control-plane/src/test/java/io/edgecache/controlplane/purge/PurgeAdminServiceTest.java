package io.edgecache.controlplane.purge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.controlplane.config.PurgeSettings;
import io.edgecache.proto.purge.v1.ListRequest;
import io.edgecache.proto.purge.v1.PurgeAdminGrpc;
import io.edgecache.proto.purge.v1.PurgeKind;
import io.edgecache.proto.purge.v1.PurgeRequest;
import io.edgecache.proto.purge.v1.PurgeStatus;
import io.edgecache.proto.purge.v1.StatusRequest;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gRPC admin API: the same checks as REST, as gRPC statuses. */
class PurgeAdminServiceTest {

  private static final String OPS = "ops-secret-0123456789";
  private static final String SHOP = "shop-secret-0123456789";

  @TempDir Path dir;

  private PurgeCoordinator coordinator;
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    coordinator = PurgeCoordinator.open(dir.resolve("purge.log"), java.time.Duration.ofHours(1), Clock.systemUTC());
    PurgeAdmin admin = new PurgeAdmin(coordinator, null, new Authenticator(List.of(
        new PurgeSettings.Token("ops", OPS, Set.of()),
        new PurgeSettings.Token("shop", SHOP, Set.of("shop.example")))),
        new RateLimiter(new PurgeSettings.RateLimit(1, 3), System::nanoTime));
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(PurgeAdminService.definition(admin)).build().start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow();
    server.shutdownNow();
    coordinator.close();
  }

  @Test
  void submitStatusAndListWithAToken() {
    PurgeStatus submitted = as(OPS).submit(PurgeRequest.newBuilder().setKind(PurgeKind.HOST)
        .setValue("Shop.Example").build());
    assertEquals("shop.example", submitted.getValue());
    assertEquals(submitted.getSeq(),
        as(SHOP).status(StatusRequest.newBuilder().setPurgeId(submitted.getPurgeId()).build()).getSeq());
    assertEquals(1, as(OPS).list(ListRequest.getDefaultInstance()).getPurgesCount());
  }

  @Test
  void refusalsCarryTheMatchingStatusAndPurgeNothing() {
    PurgeRequest otherHost = PurgeRequest.newBuilder().setKind(PurgeKind.URL)
        .setValue("http://other.example/a").build();
    assertCode(Status.Code.UNAUTHENTICATED, () -> PurgeAdminGrpc.newBlockingStub(channel).submit(otherHost));
    assertCode(Status.Code.INVALID_ARGUMENT, () -> as(OPS).submit(PurgeRequest.newBuilder()
        .setKind(PurgeKind.TAG).setValue("two words").build()));
    for (int call = 1; call <= 3; call++) { // the token's burst
      assertCode(Status.Code.PERMISSION_DENIED, () -> as(SHOP).submit(otherHost));
    }
    assertCode(Status.Code.RESOURCE_EXHAUSTED, () -> as(SHOP).submit(otherHost));
    assertTrue(coordinator.recent(10).isEmpty());
  }

  /** As on REST: a peer's wrong tokens are limited; a valid one from it still passes. */
  @Test
  void failedAuthenticationIsLimitedPerPeer() {
    for (int i = 0; i < AuthFailureLimiter.BURST; i++) {
      String guess = "guess-" + i;
      assertCode(Status.Code.UNAUTHENTICATED, () -> as(guess).list(ListRequest.getDefaultInstance()));
    }
    assertCode(Status.Code.RESOURCE_EXHAUSTED,
        () -> as("guess-again").list(ListRequest.getDefaultInstance()));
    assertEquals(0, as(OPS).list(ListRequest.getDefaultInstance()).getPurgesCount());
  }

  private PurgeAdminGrpc.PurgeAdminBlockingStub as(String token) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return PurgeAdminGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  private static void assertCode(Status.Code expected, Runnable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
    assertEquals(expected, e.getStatus().getCode(), e.getStatus().toString());
    assertTrue(e.getStatus().getDescription() != null && !e.getStatus().getDescription().isBlank());
  }
}
