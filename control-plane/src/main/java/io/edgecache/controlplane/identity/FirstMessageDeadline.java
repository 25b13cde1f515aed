package io.edgecache.controlplane.identity;

import io.edgecache.security.WarningThrottle;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * Ends a node-facing stream whose first message does not arrive within a bound. Envoy's ADS
 * client and a cache node's purge stream send theirs at once; a stream that stays silent is
 * bound to no node (identity binding needs that message) and, its connection answering
 * keepalive pings, would otherwise be held for as long as the peer likes.
 *
 * <p>The deadline closes the call on the scheduler's thread only while no message has reached
 * the service, so nothing else is using the call then; a message that arrives after it is
 * dropped. Closes are logged at WARNING, at most once a second.
 */
final class FirstMessageDeadline implements ServerInterceptor {

  private static final Logger log = Logger.getLogger(FirstMessageDeadline.class.getName());

  private final Duration bound;
  private final ScheduledExecutorService timers;
  private final WarningThrottle warnings = new WarningThrottle(log, Duration.ofSeconds(1));

  FirstMessageDeadline(Duration bound, ScheduledExecutorService timers) {
    this.bound = bound;
    this.timers = timers;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    ServerCall.Listener<Q> service = next.startCall(call, headers);
    // Set by the first message or the stream's end (the timer stands down), or by the timer.
    AtomicBoolean decided = new AtomicBoolean();
    // Scheduled after startCall: no message is delivered before the listener is returned.
    ScheduledFuture<?> timer = timers.schedule(() -> {
      if (decided.compareAndSet(false, true)) {
        String method = call.getMethodDescriptor().getFullMethodName();
        warnings.warn(() -> "closed a " + method + " stream: no message within " + bound);
        call.close(Status.DEADLINE_EXCEEDED.withDescription(
            "no message on this stream within " + bound.toMillis() + " ms"), new Metadata());
      }
    }, bound.toNanos(), TimeUnit.NANOSECONDS);
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(service) {
      private boolean active;

      @Override
      public void onMessage(Q message) {
        if (!active) {
          if (!decided.compareAndSet(false, true)) {
            return; // the deadline closed the stream first
          }
          active = true;
          timer.cancel(false);
        }
        super.onMessage(message);
      }

      @Override
      public void onHalfClose() {
        standDown(); // the peer ended the stream; the service answers that, not the deadline
        super.onHalfClose();
      }

      @Override
      public void onCancel() {
        standDown();
        super.onCancel();
      }

      @Override
      public void onComplete() {
        standDown();
        super.onComplete();
      }

      private void standDown() {
        if (decided.compareAndSet(false, true)) {
          timer.cancel(false);
        }
      }
    };
  }
}
