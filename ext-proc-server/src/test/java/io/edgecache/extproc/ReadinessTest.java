package io.edgecache.extproc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The node's two readiness signals stay in step, asked over a real gRPC health service on loopback: NOT_SERVING
 * and "starting" until connected, SERVING and none after, and once draining neither comes back,
 * even when the connections are made after the drain began.
 */
class ReadinessTest {

  private final Readiness readiness = new Readiness();
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(readiness.healthService()).build().start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  @Test
  void startsThenServes() {
    assertEquals(ServingStatus.NOT_SERVING, status());
    assertEquals(Readiness.STARTING, readiness.unavailableBecause());
    readiness.serving();
    assertEquals(ServingStatus.SERVING, status());
    assertNull(readiness.unavailableBecause());
  }

  @Test
  void aDrainIsNotUndoneByConnectionsMadeAfterIt() {
    readiness.draining();
    readiness.serving();
    assertDraining();
  }

  @Test
  void aDrainEndsServing() {
    readiness.serving();
    readiness.draining();
    assertDraining();
  }

  private void assertDraining() {
    assertEquals(ServingStatus.NOT_SERVING, status());
    assertEquals(Readiness.DRAINING, readiness.unavailableBecause());
  }

  private ServingStatus status() {
    return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance()).getStatus();
  }
}
