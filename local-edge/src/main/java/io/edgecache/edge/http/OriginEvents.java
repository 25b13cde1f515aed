package io.edgecache.edge.http;

import io.edgecache.proto.extproc.ResponseCodeDetails;
import io.edgecache.security.LogText;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpResponse;
import java.util.logging.Logger;

/**
 * What the origin's events do to an exchange, as Envoy's router decides it
 * ({@code Filter::onUpstreamHeaders}, {@code onUpstreamData}, {@code onUpstreamReset}): the
 * response head starts the response flow through the processor, a failure before it becomes
 * the router's own reply and one after it resets the client. The origin's counterpart of
 * {@link ProcessorOutcomes}.
 */
final class OriginEvents implements UpstreamListener {
  private static final Logger log = Logger.getLogger(OriginEvents.class.getName());

  private final Exchange exchange;

  OriginEvents(Exchange exchange) {
    this.exchange = exchange;
  }

  @Override
  public void onConnectFailed(Throwable cause) {
    log.fine(() -> "origin connect failed: " + LogText.quote(String.valueOf(cause)));
    exchange.routerReply(LocalReply.connectFailure(cause));
  }

  @Override
  public void onInterimResponse(HttpResponse response) {
    exchange.touch();
    if (!exchange.responseStarted()) {
      exchange.client().forwardInterim(response);
    }
  }

  @Override
  public void onResponseHead(HttpResponse response) {
    exchange.touch();
    if (exchange.done()) {
      return;
    }
    OriginLeg origin = exchange.origin();
    origin.responseHead(response);
    MessageHead head = MessageHead.withStatus(response.status().code());
    head.copyResponseHeaders(response.headers());
    origin.stampServiceTime(head);
    exchange.startResponse(origin::reading, ResponseCodeDetails.VIA_UPSTREAM).onHead(head, exchange.client().responseHasBody(response));
  }

  @Override
  public void onResponseBody(ByteBuf data, boolean last) {
    exchange.touch();
    if (last) {
      exchange.origin().responseEnded();
    }
    if (!exchange.responding()) {
      data.release();
      return;
    }
    exchange.responseFlow().onBody(data, last);
    if (last && exchange.done()) {
      exchange.origin().close();
    }
  }

  /**
   * A reset before the origin's response headers becomes a local reply (503, or 502 for a
   * protocol error) that the processor still sees, so it may serve stale; after them the
   * client's stream is reset.
   */
  @Override
  public void onUpstreamReset(ResetReason reason) {
    if (exchange.origin().hasResponseEnded() || exchange.done()) {
      return;
    }
    exchange.routerReply(LocalReply.upstreamReset(reason));
  }

  @Override
  public void onUpstreamWritabilityChanged() {
    exchange.requestFlow().onSinkWritable();
  }
}
