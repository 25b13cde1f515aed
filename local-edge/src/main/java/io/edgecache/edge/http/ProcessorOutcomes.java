package io.edgecache.edge.http;

import io.edgecache.edge.extproc.HeaderMutator;
import io.edgecache.edge.extproc.MutationRejected;
import io.edgecache.edge.extproc.ProcessorSession;
import io.edgecache.edge.extproc.ProcessorSession.Phase;
import io.edgecache.edge.extproc.ProtocolException;
import io.edgecache.security.LogText;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.netty.buffer.Unpooled;
import java.util.logging.Logger;

/**
 * What the processor's answers and failures do to an exchange, as Envoy's ext_proc filter
 * decides it ({@code Filter::onReceiveMessage}, {@code sendImmediateResponse},
 * {@code handleErrorResponse}, {@code onGrpcError}): answers go to the flow of their direction,
 * an immediate response replaces the response, a rejected mutation is a status_on_error reply
 * whatever failure_mode_allow says, and a failed stream is an error reply unless
 * failure_mode_allow lets the exchange carry on without the processor.
 */
final class ProcessorOutcomes implements ProcessorSession.Handler {
  private static final Logger log = Logger.getLogger(ProcessorOutcomes.class.getName());

  private final Exchange exchange;

  ProcessorOutcomes(Exchange exchange) {
    this.exchange = exchange;
  }

  @Override
  public void onAnswer(Phase phase, ProcessingResponse response) {
    exchange.touch();
    ProcessorLink processor = exchange.processor();
    try {
      switch (phase) {
        case REQUEST_HEADERS -> {
          if (processor.applyModeOverride(response)) {
            exchange.requestFlow().onHeadersAnswer(response.getRequestHeaders().getResponse());
          }
        }
        case REQUEST_BODY -> exchange.requestFlow().onBodyAnswer(response.getRequestBody().getResponse());
        case RESPONSE_HEADERS -> {
          if (processor.applyModeOverride(response)) {
            exchange.responseFlow().onHeadersAnswer(response.getResponseHeaders().getResponse());
          }
        }
        case RESPONSE_BODY -> exchange.responseFlow().onBodyAnswer(response.getResponseBody().getResponse());
      }
    } catch (MutationRejected e) {
      processor.cancel(e.getMessage());
      exchange.localReply(LocalReply.mutationRejected(e.getMessage()));
      return;
    } catch (ProtocolException e) {
      processor.fail("ext_proc_error_" + e.getMessage());
      return;
    }
    if (!exchange.done()) {
      processor.finishIfLastAnswer(exchange.requestFlow(), exchange.responseFlow());
    }
  }

  /**
   * {@code Filter::sendImmediateResponse}: a status under 200 becomes 200; the header mutation
   * is applied as far as it goes, a rejected one only logged, as Envoy does.
   */
  @Override
  public void onImmediateResponse(ImmediateResponse response) {
    if (exchange.responseStarted()) {
      exchange.abandon("immediate_response after the response headers were sent");
      return;
    }
    MessageHead head = MessageHead.withStatus(Math.max(200, response.getStatus().getCodeValue()));
    try {
      if (response.hasHeaders()) {
        HeaderMutator.apply(response.getHeaders(), head, false, false, false);
      }
    } catch (MutationRejected e) {
      log.warning("ext_proc immediate response mutations failed: " + LogText.quote(e.getMessage()));
    } catch (ProtocolException e) {
      exchange.localReply(LocalReply.unreproducibleImmediateResponse(e.getMessage()));
      return;
    }
    exchange.sendLocalReply(head, Unpooled.wrappedBuffer(response.getBody().asReadOnlyByteBuffer()));
  }

  @Override
  public void onFailure(ProcessorSession.Failure failure) {
    if (exchange.processor().failureModeAllow()) {
      log.fine(() -> "ext_proc failed, failure_mode_allow: continuing without it; details="
          + LogText.quote(failure.detail()));
      bypassProcessor();
    } else {
      exchange.localReply(LocalReply.processorFailed(failure));
    }
  }

  @Override
  public void onProcessorIgnored() {
    bypassProcessor();
  }

  private void bypassProcessor() {
    exchange.requestFlow().bypassProcessor();
    MessageFlow responseFlow = exchange.responseFlow();
    if (responseFlow != null) {
      responseFlow.bypassProcessor();
    }
  }
}
