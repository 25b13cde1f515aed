package io.edgecache.edge.http;

import com.google.protobuf.ByteString;
import io.edgecache.edge.config.ExtProcConfigValidator;
import io.edgecache.edge.extproc.HeaderMutator;
import io.edgecache.edge.extproc.ProcessorSession;
import io.edgecache.edge.extproc.ProcessorSession.Phase;
import io.edgecache.edge.extproc.ProtocolException;
import io.edgecache.edge.extproc.ResponseAttributes;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.netty.buffer.ByteBuf;
import java.util.logging.Logger;

/**
 * The exchange's side of the ext_proc filter: its {@link ProcessorSession} and the processing
 * mode in force, as Envoy's {@code ProcessorState} keeps them per direction. The flows ask it
 * what to send; it answers "nothing" once the session is over (Envoy's
 * {@code processing_complete_}). Confined to the exchange's event loop.
 */
final class ProcessorLink {
  private static final Logger log = Logger.getLogger(ProcessorLink.class.getName());

  private final ExternalProcessor filter;
  private final ProcessorSession session;
  private final ResponseAttributes responseAttributes;
  /** Envoy's response code details for the response being processed; null before one. */
  private String responseCodeDetails;
  private ProcessingMode mode;
  private boolean requestStopped;
  private boolean responseStopped;

  ProcessorLink(ExternalProcessor filter, ProcessorSession session) {
    this.filter = filter;
    this.session = session;
    this.responseAttributes = new ResponseAttributes(filter.getResponseAttributesList());
    this.mode = filter.getProcessingMode();
  }

  boolean active() {
    return session.active();
  }

  boolean failureModeAllow() {
    return filter.getFailureModeAllow();
  }

  /** Whether headers of this direction go to the processor under the current mode. */
  boolean sendsHeaders(boolean request) {
    if (!session.active()) {
      return false;
    }
    HeaderSendMode send = request ? mode.getRequestHeaderMode() : mode.getResponseHeaderMode();
    return send != HeaderSendMode.SKIP;
  }

  /**
   * Whether Envoy removes Content-Length from this direction's headers under the current mode
   * ({@code ProcessorState::shouldRemoveContentLength}): STREAMED (and the partial and duplex
   * modes local-edge rejects), or BUFFERED with the headers skipped; only while the processor
   * is in use.
   */
  boolean removesContentLength(boolean request) {
    if (!session.active()) {
      return false;
    }
    BodySendMode body = request ? mode.getRequestBodyMode() : mode.getResponseBodyMode();
    HeaderSendMode headers = request ? mode.getRequestHeaderMode() : mode.getResponseHeaderMode();
    return body == BodySendMode.STREAMED || body == BodySendMode.BUFFERED_PARTIAL
        || body == BodySendMode.FULL_DUPLEX_STREAMED
        || (body == BodySendMode.BUFFERED && headers == HeaderSendMode.SKIP);
  }

  BodySendMode bodyMode(boolean request) {
    if (!session.active() || (request ? requestStopped : responseStopped)) {
      return BodySendMode.NONE;
    }
    return request ? mode.getRequestBodyMode() : mode.getResponseBodyMode();
  }

  /** CONTINUE_AND_REPLACE: no further messages for this direction. */
  void stopProcessing(boolean request) {
    if (request) {
      requestStopped = true;
    } else {
      responseStopped = true;
    }
  }

  /**
   * ProcessorState::processHeaderMutation, for a headers answer and for a body answer while the
   * head is held. Envoy asks shouldRemoveContentLength() each time rather than reusing the
   * decision made when the headers went out: a mode_override in this very answer is already in
   * force (Filter::onReceiveMessage applies it first), so a switch to STREAMED makes the
   * processor's own Content-Length line be skipped, as does a BUFFERED body with skipped headers.
   */
  void applyHeaderMutation(boolean request, CommonResponse answer, MessageHead head) throws ProtocolException {
    if (answer.hasHeaderMutation()) {
      HeaderMutator.apply(answer.getHeaderMutation(), head, request,
          answer.getStatus() == CommonResponse.ResponseStatus.CONTINUE_AND_REPLACE,
          removesContentLength(request));
    }
  }

  /**
   * A response begins: the origin's ({@code via_upstream}) or the router's own reply, with the
   * details Envoy records for it, which the response_attributes carry.
   */
  void responseStarts(String codeDetails) {
    responseCodeDetails = codeDetails;
  }

  /** Sends this direction's headers as they are now. */
  void sendHeaders(boolean request, MessageHead head, boolean endOfStream) {
    HttpHeaders headers = HttpHeaders.newBuilder().setHeaders(head.toProto()).setEndOfStream(endOfStream).build();
    if (request) {
      session.send(Phase.REQUEST_HEADERS, ProcessingRequest.newBuilder().setRequestHeaders(headers).build());
    } else {
      ProcessingRequest.Builder message = ProcessingRequest.newBuilder().setResponseHeaders(headers);
      responseAttributes.addTo(message, responseCodeDetails);
      session.send(Phase.RESPONSE_HEADERS, message.build());
    }
  }

  /** Sends a copy of {@code data} as this direction's body chunk (or whole BUFFERED body). */
  void sendBody(boolean request, ByteBuf data, boolean last) {
    HttpBody body = HttpBody.newBuilder()
        .setBody(ByteString.copyFrom(data.nioBuffer()))
        .setEndOfStream(last)
        .build();
    if (request) {
      session.send(Phase.REQUEST_BODY, ProcessingRequest.newBuilder().setRequestBody(body).build());
    } else {
      // The attributes go with the direction's first message: this one when headers are skipped.
      ProcessingRequest.Builder message = ProcessingRequest.newBuilder().setResponseBody(body);
      responseAttributes.addTo(message, responseCodeDetails);
      session.send(Phase.RESPONSE_BODY, message.build());
    }
  }

  /** Abandons the stream: the exchange ended some other way. */
  void cancel(String reason) {
    session.cancel(reason);
  }

  /** Ends the session as failed; the exchange hears of it through {@code onFailure}. */
  void fail(String detail) {
    session.fail(detail);
  }

  /** No more messages: half-closes the stream. */
  void finish() {
    session.finish();
  }

  /**
   * Half-closes the stream once neither direction will send the processor anything more, as
   * Envoy >= 1.37 does ({@code Filter::closeGrpcStreamIfLastRespReceived}).
   *
   * @param responseFlow null while the response has not arrived
   */
  void finishIfLastAnswer(MessageFlow requestFlow, MessageFlow responseFlow) {
    if (!session.active() || !requestFlow.processorDone()) {
      return;
    }
    boolean responseDone = responseFlow == null
        ? mode.getResponseHeaderMode() == HeaderSendMode.SKIP && mode.getResponseBodyMode() == BodySendMode.NONE
        : responseFlow.processorDone();
    if (responseDone) {
      session.finish();
    }
  }

  /**
   * Honors {@code mode_override} the way Envoy's {@code Filter::onReceiveMessage} does: only
   * with allow_mode_override, only a mode in allowed_override_modes when that list is set; its
   * DEFAULT header and trailer modes leave the configured ones in place, its body modes always
   * apply ({@code effectiveModeOverride}). Returns false when the session failed instead.
   */
  boolean applyModeOverride(ProcessingResponse response) {
    if (!response.hasModeOverride()) {
      return true;
    }
    ProcessingMode requested = effectiveModeOverride(response.getModeOverride(), filter.getProcessingMode());
    if (!filter.getAllowModeOverride()) {
      log.fine("ignoring mode_override: allow_mode_override is false");
      return true;
    }
    if (filter.getAllowedOverrideModesCount() > 0 && filter.getAllowedOverrideModesList().stream()
        .noneMatch(allowed -> sameIgnoringRequestHeaderMode(allowed, requested))) {
      log.fine("ignoring mode_override not in allowed_override_modes");
      return true;
    }
    String unsupported = ExtProcConfigValidator.unsupportedSetting(requested);
    if (unsupported != null) {
      // Envoy would honor it; local-edge cannot, so it fails loudly rather than diverge.
      log.warning("ext_proc mode_override: " + unsupported);
      session.fail("ext_proc_error_mode_override_unsupported_by_local_edge");
      return false;
    }
    mode = requested;
    return true;
  }

  private static ProcessingMode effectiveModeOverride(ProcessingMode override, ProcessingMode configured) {
    ProcessingMode.Builder effective = configured.toBuilder()
        .setRequestBodyMode(override.getRequestBodyMode())
        .setResponseBodyMode(override.getResponseBodyMode());
    if (override.getRequestHeaderMode() != HeaderSendMode.DEFAULT) {
      effective.setRequestHeaderMode(override.getRequestHeaderMode());
    }
    if (override.getResponseHeaderMode() != HeaderSendMode.DEFAULT) {
      effective.setResponseHeaderMode(override.getResponseHeaderMode());
    }
    if (override.getRequestTrailerMode() != HeaderSendMode.DEFAULT) {
      effective.setRequestTrailerMode(override.getRequestTrailerMode());
    }
    if (override.getResponseTrailerMode() != HeaderSendMode.DEFAULT) {
      effective.setResponseTrailerMode(override.getResponseTrailerMode());
    }
    return effective.build();
  }

  private static boolean sameIgnoringRequestHeaderMode(ProcessingMode a, ProcessingMode b) {
    return a.toBuilder().clearRequestHeaderMode().build()
        .equals(b.toBuilder().clearRequestHeaderMode().build());
  }
}
