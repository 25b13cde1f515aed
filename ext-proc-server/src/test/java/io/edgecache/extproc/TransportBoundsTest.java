package io.edgecache.extproc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.grpc.Warmup;
import io.edgecache.extproc.telemetry.Telemetry;
import io.edgecache.extproc.testing.ManualClock;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The ext_proc port's transport bounds, over real gRPC connections. */
class TransportBoundsTest {

  /** Ages connections out after 1 s and cuts what is still open 1 s later. */
  private static final TransportBounds QUICK = new TransportBounds(Duration.ofSeconds(30),
      Duration.ofSeconds(10), Duration.ofMinutes(5), Duration.ofSeconds(1), Duration.ofSeconds(1));

  @Test
  void aStreamWhosePeerNeverSendsIsCutWhenItsConnectionAgesOut() throws Exception {
    ServerConfig config = ServerConfig.defaults()
        .withListen(new InetSocketAddress("127.0.0.1", 0)).withAdminListen(null);
    try (ExtProcServer server = ExtProcServer.start(config,
        new ManualClock(Instant.parse("2026-12-02T12:00:00Z")), Telemetry.disabled(), "test",
        QUICK, ExtProcServer.CONNECTIONS_WAIT)) {
      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
      try {
        BlockingQueue<Object> silent = new LinkedBlockingQueue<>();
        ExternalProcessorGrpc.newStub(channel).process(recorder(silent)); // sends nothing

        Object end = silent.poll(20, TimeUnit.SECONDS);
        assertNotNull(end, "the silent stream was still open 20 s later");
        assertTrue(end instanceof Status, "ended with " + end);

        // The channel reconnects and a new stream is answered as ever.
        BlockingQueue<Object> next = new LinkedBlockingQueue<>();
        StreamObserver<ProcessingRequest> requests =
            ExternalProcessorGrpc.newStub(channel).process(recorder(next));
        requests.onNext(ProcessingRequest.newBuilder().setRequestHeaders(HttpHeaders.newBuilder()
                .setEndOfStream(true).setHeaders(Warmup.headers(":method", "GET", ":path", "/a",
                    ":authority", "example.com", ":scheme", "http")))
            .build());
        Object answer = next.poll(20, TimeUnit.SECONDS);
        assertTrue(answer instanceof ProcessingResponse, "answered with " + answer);
        assertEquals(ProcessingResponse.ResponseCase.REQUEST_HEADERS,
            ((ProcessingResponse) answer).getResponseCase());
        requests.onCompleted();
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  private static StreamObserver<ProcessingResponse> recorder(BlockingQueue<Object> into) {
    return new StreamObserver<>() {
      @Override
      public void onNext(ProcessingResponse value) {
        into.add(value);
      }

      @Override
      public void onError(Throwable t) {
        into.add(Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        into.add(Status.OK);
      }
    };
  }
}
