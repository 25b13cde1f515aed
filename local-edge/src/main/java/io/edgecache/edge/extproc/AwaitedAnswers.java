package io.edgecache.edge.extproc;

import io.edgecache.edge.extproc.ProcessorSession.Phase;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * One direction (request or response) of a {@link ProcessorSession}, as Envoy's
 * {@code ProcessorState} holds it: the messages awaiting answers, in the order sent (its callback
 * state and chunk queue), and the {@code message_timeout} timer ({@code message_timer_},
 * {@code new_timeout_received_}). Runs on the session's event loop.
 */
final class AwaitedAnswers {
  private final EventLoop loop;
  private final Runnable onTimeout;
  private final ArrayDeque<Phase> awaited = new ArrayDeque<>();
  private ScheduledFuture<?> timer;
  private boolean overridden;

  AwaitedAnswers(EventLoop loop, Runnable onTimeout) {
    this.loop = loop;
    this.onTimeout = onTimeout;
  }

  /** A message was sent: it awaits an answer and the timer runs from now (onStartProcessorCall). */
  void sent(Phase phase, long timeoutNanos) {
    awaited.add(phase);
    stopTimer();
    schedule(timeoutNanos);
  }

  /** Whether an answer of kind {@code phase} is the one awaited next; if so it stops the timer. */
  boolean answered(Phase phase) {
    if (awaited.peek() != phase) {
      return false;
    }
    awaited.poll();
    stopTimer(); // onFinishProcessorCall
    return true;
  }

  void clear() {
    awaited.clear();
    stopTimer();
  }

  /** override_message_timeout: only a running timer, once per start (restartMessageTimer). */
  boolean restartTimer(long nanos) {
    if (timer == null || overridden) {
      return false;
    }
    timer.cancel(false);
    schedule(nanos);
    overridden = true;
    return true;
  }

  private void stopTimer() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
    overridden = false;
  }

  private void schedule(long nanos) {
    timer = loop.schedule(onTimeout, nanos, TimeUnit.NANOSECONDS);
  }
}
