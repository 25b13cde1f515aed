package io.edgecache.edge.extproc;

import io.edgecache.edge.http.MessageHead;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * Opens a few ext_proc streams before the edge takes traffic. On cold JVMs the first real
 * request would otherwise spend Envoy's whole 200 ms message_timeout connecting, negotiating
 * HTTP/2 and loading classes on both sides, and would go through uncached. The warm-up request
 * is an OPTIONS to a reserved host, which no cache stores; a processor that is down is simply
 * skipped (the edge then behaves as its failure mode says).
 */
public final class ProcessorWarmup {

  private static final Logger log = Logger.getLogger(ProcessorWarmup.class.getName());
  private static final int STREAMS = 20;
  private static final long BUDGET_MILLIS = 5_000;

  private ProcessorWarmup() {}

  /**
   * Whether the processor answered: only then is warming the edge's own HTTP path worth it. The
   * streams take turns over {@code channels}, so each worker's connection is open before traffic.
   */
  public static boolean run(List<ManagedChannel> channels) {
    MessageHead head = new MessageHead();
    head.setPseudo(MessageHead.METHOD, "OPTIONS");
    head.setPseudo(MessageHead.PATH, "/");
    head.setPseudo(MessageHead.AUTHORITY, "warmup.edgecache.invalid");
    head.setPseudo(MessageHead.SCHEME, "http");
    ProcessingRequest request = ProcessingRequest.newBuilder()
        .setRequestHeaders(HttpHeaders.newBuilder().setEndOfStream(true).setHeaders(head.toProto()))
        .build();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(BUDGET_MILLIS);
    boolean reachable = false;
    int streams = Math.max(STREAMS, channels.size()); // at least one per worker's connection
    for (int i = 0; i < streams; i++) {
      CountDownLatch answered = new CountDownLatch(1);
      AtomicBoolean processed = new AtomicBoolean();
      ManagedChannel channel = channels.get(i % channels.size());
      StreamObserver<ProcessingRequest> stream = ExternalProcessorGrpc.newStub(channel)
          .withWaitForReady()
          .withDeadlineAfter(BUDGET_MILLIS, TimeUnit.MILLISECONDS)
          .process(new StreamObserver<ProcessingResponse>() {
            @Override
            public void onNext(ProcessingResponse value) {
              processed.set(true);
              answered.countDown();
            }

            @Override
            public void onError(Throwable t) {
              answered.countDown();
            }

            @Override
            public void onCompleted() {
              answered.countDown();
            }
          });
      stream.onNext(request);
      try {
        long left = deadline - System.nanoTime();
        if (left <= 0 || !answered.await(left, TimeUnit.NANOSECONDS)) {
          stream.onError(new IllegalStateException("warm-up budget spent"));
          log.fine("ext_proc warm-up stopped: the processor did not answer in time");
          return false;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
      reachable |= processed.get();
      stream.onCompleted();
    }
    return reachable;
  }
}
