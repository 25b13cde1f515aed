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
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The ext_proc conversation of one HTTP request, as Envoy's filter runs it. Each direction
 * (request, response) is its own {@link AwaitedAnswers} (Envoy's {@code ProcessorState}): its
 * messages expect answers of the matching kind in the order sent, whatever the other direction
 * awaits, and it has its own {@code message_timeout} timer, which every message sent in that
 * direction (re)starts and every answer stops, even while later STREAMED chunks are unanswered;
 * {@code override_message_timeout} may restart a running timer once per start (up to
 * {@code max_message_timeout}). An answer its direction does not await is spurious: as
 * {@code Filter::onReceiveMessage} does since Envoy 1.35, it follows {@code failure_mode_allow}
 * (the exchange carries on without the processor, counted as failing open) or ends the session
 * as failed (the status_on_error reply). An immediate response is taken whenever it comes.
 * Timeouts and broken streams end the session and are reported to the {@link Handler}, which
 * applies {@code failure_mode_allow}; each is counted in {@link ProcessorStats} as Envoy counts
 * it, {@code streams_closed} included: every stream local-edge closes while it is open, however
 * the request ended. All methods run on the exchange's event loop.
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
    /** The answer to the oldest unanswered message of its direction, whose kind is {@code phase}. */
    void onAnswer(Phase phase, ProcessingResponse response);

    void onImmediateResponse(ImmediateResponse response);

    /** The session is over; unanswered messages never will be. */
    void onFailure(Failure failure);

    /**
     * The processor is ignored from now on and the exchange carries on without it, as Envoy's
     * {@code clearAsyncState}: the server closed the stream gracefully.
     */
    void onProcessorIgnored();
  }

  private final ExternalProcessor config;
  private final Handler handler;
  private final ProcessorStream stream;
  private final ProcessorStats stats;
  /** The filter's message_timeout (200 ms when unset), read once rather than per message. */
  private final long messageTimeoutNanos;
  private final AwaitedAnswers requestDirection;
  private final AwaitedAnswers responseDirection;
  private boolean sentAny;
  private boolean active = true;

  /** A session whose stream, once opened, carries {@code initialMetadata} (may be empty). */
  public ProcessorSession(Channel channel, Metadata initialMetadata, EventLoop loop, ExternalProcessor config,
      ProcessorStats stats, Handler handler) {
    this.config = config;
    this.stats = stats;
    this.handler = handler;
    this.messageTimeoutNanos = config.hasMessageTimeout()
        ? Durations.toNanos(config.getMessageTimeout()) : DEFAULT_MESSAGE_TIMEOUT_NANOS;
    this.stream = new ProcessorStream(channel, initialMetadata, loop, this);
    // Envoy's details for a missed answer (Filter::onMessageTimeout).
    Runnable onTimeout = () -> fail(true, "ext_proc_error_per-message_timeout_exceeded");
    this.requestDirection = new AwaitedAnswers(loop, onTimeout);
    this.responseDirection = new AwaitedAnswers(loop, onTimeout);
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
    directionOf(phase).sent(phase, messageTimeoutNanos);
    stats.streamMsgsSent.increment();
    stream.send(request);
  }

  /** No more messages: close the stream as Envoy does (half-close, then reset). */
  public void finish() {
    close("ext_proc stream closed");
  }

  /** Abandon the stream, e.g. the client went away or a local reply replaced the exchange. */
  public void cancel(String reason) {
    close(reason);
  }

  /**
   * {@code Filter::closeStream}: closing a stream that is still open counts in
   * {@code streams_closed}, whether the request finished, timed out, was refused or went away.
   */
  private void close(String reason) {
    if (active && sentAny) {
      stats.streamsClosed.increment();
    }
    end();
    stream.close(reason);
  }

  @Override
  public void onResponse(ProcessingResponse answer) {
    if (!active) {
      return;
    }
    if (answer.hasOverrideMessageTimeout()) {
      // Only an override, whatever else the message carries (Filter::onReceiveMessage).
      overrideTimeout(answer);
      return;
    }
    if (answer.getResponseCase() == ProcessingResponse.ResponseCase.IMMEDIATE_RESPONSE) {
      stats.streamMsgsReceived.increment();
      finish();
      handler.onImmediateResponse(answer.getImmediateResponse());
      return;
    }
    Phase phase = phaseOf(answer.getResponseCase());
    if (phase == null || !directionOf(phase).answered(phase)) {
      onSpurious(answer.getResponseCase());
      return;
    }
    stats.streamMsgsReceived.increment();
    handler.onAnswer(phase, answer);
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
      handler.onProcessorIgnored();
    } else {
      end();
      stats.streamsFailed.increment();
      if (config.getFailureModeAllow()) {
        stats.streamsClosed.increment(); // onGrpcError takes it as a close (onGrpcCloseWithStatus)
      }
      log.fine(() -> "ext_proc stream failed: " + LogText.quote(String.valueOf(status)));
      reportFailure(new Failure(false, "ext_proc_error_gRPC_error_" + status.getCode().value()
          + "{" + status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription()) + "}"));
    }
  }

  /**
   * An answer nothing awaits ({@code Filter::onReceiveMessage}, Envoy >= 1.35 with the default
   * {@code ext_proc_fail_close_spurious_resp}) ends the session as any failure does: with
   * {@code failure_mode_allow} the request goes on without the processor, counted as failing
   * open, and without it {@code handleErrorResponse} answers with status_on_error, its details
   * the status message with blanks made underscores.
   */
  private void onSpurious(ProcessingResponse.ResponseCase kind) {
    stats.spuriousMsgsReceived.increment();
    log.fine(() -> "spurious ext_proc message " + kind);
    fail(false, kind == ProcessingResponse.ResponseCase.RESPONSE_NOT_SET
        ? "unhandled_message" : "spurious_message");
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
      boolean requestRestarted = requestDirection.restartTimer(requested);
      boolean responseRestarted = responseDirection.restartTimer(requested);
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

  private AwaitedAnswers directionOf(Phase phase) {
    return phase == Phase.REQUEST_HEADERS || phase == Phase.REQUEST_BODY
        ? requestDirection : responseDirection;
  }

  private void end() {
    active = false;
    requestDirection.clear();
    responseDirection.clear();
  }

  /** The kind of message {@code answer} answers; null for kinds local-edge never sends. */
  private static Phase phaseOf(ProcessingResponse.ResponseCase answer) {
    return switch (answer) {
      case REQUEST_HEADERS -> Phase.REQUEST_HEADERS;
      case REQUEST_BODY -> Phase.REQUEST_BODY;
      case RESPONSE_HEADERS -> Phase.RESPONSE_HEADERS;
      case RESPONSE_BODY -> Phase.RESPONSE_BODY;
      default -> null;
    };
  }
}
