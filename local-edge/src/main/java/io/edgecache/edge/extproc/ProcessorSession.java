package io.edgecache.edge.extproc;

import com.google.protobuf.util.Durations;
import io.edgecache.security.LogText;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProtocolConfiguration;
import io.grpc.Channel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The ext_proc conversation of one HTTP request, as Envoy's filter runs it: every message sent
 * expects one answer of the matching kind, in order. Each direction has its own
 * {@code message_timeout} timer, as each of Envoy's {@code ProcessorState}s does: every message
 * sent in that direction (re)starts it and every answer stops it, even while later STREAMED
 * chunks are unanswered, and {@code override_message_timeout} may restart a running timer once
 * per start (up to {@code max_message_timeout}). Timeouts, broken streams and protocol
 * violations end the session and are reported to the {@link Handler}, which applies
 * {@code failure_mode_allow}; each is counted in {@link ProcessorStats} as Envoy counts it. All
 * methods run on the exchange's event loop.
 */
public final class ProcessorSession implements ProcessorStream.Listener {
  private static final Logger log = Logger.getLogger(ProcessorSession.class.getName());
  private static final long DEFAULT_MESSAGE_TIMEOUT_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
  private static final long MIN_OVERRIDE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  /** What a message carries; its answer must be of the same kind. */
  public enum Phase { REQUEST_HEADERS, REQUEST_BODY, RESPONSE_HEADERS, RESPONSE_BODY }

  /** Why the session ended abnormally; {@code detail} follows Envoy's response-details style. */
  public record Failure(boolean timeout, String detail) {}

  /** Outcomes of the session, delivered on the exchange's event loop. */
  public interface Handler {
    /** The answer to the oldest message sent, whose kind is {@code phase}. */
    void onAnswer(Phase phase, ProcessingResponse response);

    void onImmediateResponse(ImmediateResponse response);

    /** The session is over; unanswered messages never will be. */
    void onFailure(Failure failure);

    /** The server closed the stream gracefully: carry on without it, as Envoy does. */
    void onServerClosed();
  }

  private final ExternalProcessor config;
  private final EventLoop loop;
  private final Handler handler;
  private final ProcessorStream stream;
  private final ProcessorStats stats;
  private final ArrayDeque<Phase> awaited = new ArrayDeque<>();
  private final DirectionTimer requestTimer = new DirectionTimer();
  private final DirectionTimer responseTimer = new DirectionTimer();
  private boolean sentAny;
  private boolean active = true;

  /** A session whose stream, once opened, carries {@code initialMetadata} (may be empty). */
  public ProcessorSession(Channel channel, Metadata initialMetadata, EventLoop loop, ExternalProcessor config,
      ProcessorStats stats, Handler handler) {
    this.config = config;
    this.stats = stats;
    this.loop = loop;
    this.handler = handler;
    this.stream = new ProcessorStream(channel, initialMetadata, loop, this);
  }

  /** False once the session failed, was closed by the server or was finished. */
  public boolean active() {
    return active;
  }

  public void send(Phase phase, ProcessingRequest request) {
    if (!active) {
      throw new IllegalStateException("session is not active");
    }
    if (!sentAny) {
      // Newer Envoys describe the filter's body modes in the first message only.
      sentAny = true;
      stats.streamsStarted.increment();
      request = request.toBuilder()
          .setProtocolConfig(ProtocolConfiguration.newBuilder()
              .setRequestBodyMode(config.getProcessingMode().getRequestBodyMode())
              .setResponseBodyMode(config.getProcessingMode().getResponseBodyMode()))
          .build();
    }
    awaited.add(phase);
    timerOf(phase).start(config.hasMessageTimeout()
        ? Durations.toNanos(config.getMessageTimeout())
        : DEFAULT_MESSAGE_TIMEOUT_NANOS);
    stats.streamMsgsSent.increment();
    stream.send(request);
  }

  /** No more messages: close the stream as Envoy does (half-close, then reset). */
  public void finish() {
    if (active && sentAny) {
      stats.streamsClosed.increment();
    }
    end();
    stream.close("ext_proc stream closed");
  }

  /** Abandon the stream, e.g. the client went away or a local reply replaced the exchange. */
  public void cancel(String reason) {
    end();
    stream.close(reason);
  }

  @Override
  public void onResponse(ProcessingResponse response) {
    if (!active) {
      return;
    }
    stats.streamMsgsReceived.increment();
    if (response.hasOverrideMessageTimeout()) {
      // Only an override, whatever else the message carries (Filter::onReceiveMessage).
      overrideTimeout(response);
      return;
    }
    if (response.getResponseCase() == ProcessingResponse.ResponseCase.IMMEDIATE_RESPONSE) {
      if (awaited.isEmpty()) {
        stats.spuriousMsgsReceived.increment();
        fail(false, "ext_proc_error_spurious_immediate_response");
        return;
      }
      finish();
      handler.onImmediateResponse(response.getImmediateResponse());
      return;
    }
    Phase expected = awaited.peek();
    if (expected == null || !matches(expected, response.getResponseCase())) {
      stats.spuriousMsgsReceived.increment();
      fail(false, "ext_proc_error_unexpected_response_" + response.getResponseCase()
          + "_while_awaiting_" + expected);
      return;
    }
    awaited.poll();
    timerOf(expected).stop();
    handler.onAnswer(expected, response);
  }

  @Override
  public void onClosed(Status status) {
    if (!active) {
      return;
    }
    if (status.isOk()) {
      stats.streamsClosed.increment();
      log.fine("ext_proc server closed the stream; continuing without it");
      end();
      handler.onServerClosed();
    } else {
      end();
      stats.streamsFailed.increment();
      log.fine(() -> "ext_proc stream failed: " + LogText.quote(String.valueOf(status)));
      reportFailure(new Failure(false, "ext_proc_error_gRPC_error_" + status.getCode().value()
          + "{" + status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription()) + "}"));
    }
  }

  /** Ends the session because the exchange found the server's answer unusable. */
  public void fail(String detail) {
    fail(false, detail);
  }

  private void fail(boolean timeout, String detail) {
    if (!active) {
      return;
    }
    cancel(detail);
    reportFailure(new Failure(timeout, detail));
  }

  private void reportFailure(Failure failure) {
    if (failure.timeout()) {
      stats.messageTimeouts.increment();
    }
    if (config.getFailureModeAllow()) {
      stats.failureModeAllowed.increment(); // the handler goes on without the processor
    }
    handler.onFailure(failure);
  }

  private void overrideTimeout(ProcessingResponse response) {
    long requested = Durations.toNanos(response.getOverrideMessageTimeout());
    long max = config.hasMaxMessageTimeout() ? Durations.toNanos(config.getMaxMessageTimeout()) : 0;
    boolean restarted = false;
    if (requested >= MIN_OVERRIDE_NANOS && requested <= max) {
      // Both directions, as Filter::onNewTimeout asks each ProcessorState.
      boolean requestRestarted = requestTimer.restart(requested);
      boolean responseRestarted = responseTimer.restart(requested);
      restarted = requestRestarted || responseRestarted;
    }
    // Counted as Filter::onNewTimeout counts: received only when a timer was restarted.
    if (restarted) {
      stats.overrideMessageTimeoutReceived.increment();
    } else {
      stats.overrideMessageTimeoutIgnored.increment();
      log.fine(() -> "ignoring override_message_timeout " + requested + "ns (max " + max + "ns)");
    }
  }

  private DirectionTimer timerOf(Phase phase) {
    return phase == Phase.REQUEST_HEADERS || phase == Phase.REQUEST_BODY
        ? requestTimer : responseTimer;
  }

  private void end() {
    active = false;
    awaited.clear();
    requestTimer.stop();
    responseTimer.stop();
  }

  /** One direction's message timer (ProcessorState's message_timer_ and new_timeout_received_). */
  private final class DirectionTimer {
    private ScheduledFuture<?> timer;
    private boolean overridden;

    /** A message was sent: the timer runs from now (onStartProcessorCall). */
    void start(long nanos) {
      stop();
      schedule(nanos);
    }

    /** An answer came (onFinishProcessorCall). */
    void stop() {
      if (timer != null) {
        timer.cancel(false);
        timer = null;
      }
      overridden = false;
    }

    /** override_message_timeout: only a running timer, once per start (restartMessageTimer). */
    boolean restart(long nanos) {
      if (timer == null || overridden) {
        return false;
      }
      timer.cancel(false);
      schedule(nanos);
      overridden = true;
      return true;
    }

    private void schedule(long nanos) {
      // Envoy's details for it (Filter::onMessageTimeout).
      timer = loop.schedule(() -> fail(true, "ext_proc_error_per-message_timeout_exceeded"), nanos,
          TimeUnit.NANOSECONDS);
    }
  }

  private static boolean matches(Phase phase, ProcessingResponse.ResponseCase answer) {
    return switch (phase) {
      case REQUEST_HEADERS -> answer == ProcessingResponse.ResponseCase.REQUEST_HEADERS;
      case REQUEST_BODY -> answer == ProcessingResponse.ResponseCase.REQUEST_BODY;
      case RESPONSE_HEADERS -> answer == ProcessingResponse.ResponseCase.RESPONSE_HEADERS;
      case RESPONSE_BODY -> answer == ProcessingResponse.ResponseCase.RESPONSE_BODY;
    };
  }
}
