package io.edgecache.edge.http;

import io.edgecache.edge.config.LocalEdgeConfig;
import io.edgecache.edge.extproc.InitialMetadata;
import io.edgecache.edge.extproc.ProcessorSession;
import io.edgecache.edge.routing.RouteEntry;
import io.edgecache.edge.routing.RouteTable;
import io.edgecache.security.LogText;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpRequest;
import java.util.logging.Logger;

/**
 * One HTTP request/response through local-edge, as Envoy's filter chain (ext_proc, then the
 * router) would run it: the request goes through the processor, is routed and sent to the
 * origin; the response comes back through the processor to the client.
 *
 * <p>A step machine ({@link Step}) over four parts: the two {@link MessageFlow}s through the
 * processor ({@link ProcessorLink}), the {@link OriginLeg} where the request is handed to an
 * origin and the {@link ClientLeg} where the response is written; {@link LocalReply} names what
 * replaces the response when something fails. {@link ProcessorOutcomes} and {@link OriginEvents}
 * turn the processor's and the origin's events into steps. Everything here runs on the client connection's
 * event loop; origin connections are on the same loop and gRPC callbacks hop to it once.
 */
final class Exchange {
  private static final Logger log = Logger.getLogger(Exchange.class.getName());

  /** How far the exchange got; it only moves forward. */
  enum Step {
    /** The request is being processed or sent; no response yet. */
    REQUEST,
    /** A response (the origin's or the router's own) is going through the processor. */
    RESPONSE,
    /** The response head went to the client: a failure can only reset the connection now. */
    RESPONDING,
    /** Over: complete, replaced by a local reply, or abandoned. */
    DONE
  }

  private final LocalEdgeConfig config;
  private final RequestTarget target;
  private final InitialMetadata initialMetadata;
  private final ProcessorLink processor;
  private final ClientLeg client;
  private final OriginLeg origin;
  private final MessageFlow requestFlow;
  private final StreamIdleTimer idleTimer;
  private MessageFlow responseFlow;
  private Step step = Step.REQUEST;

  Exchange(Channel channel, DownstreamHandler connection, EdgeContext edge, HttpRequest clientRequest) {
    this.config = edge.config();
    RouteTable routes = edge.routes();
    // As in Envoy, the ext_proc filter's per-route config comes from the route the request
    // matches on arrival; the router matches again after the processor may have changed it.
    this.target = RequestTarget.of(clientRequest, routes.paths());
    RouteEntry arrivalRoute = target.rejection() != null ? null
        : routes.match(target.authority(), target.path(), clientRequest.headers());
    this.initialMetadata = routes.initialMetadata(arrivalRoute);
    this.processor = new ProcessorLink(routes.filter(), new ProcessorSession(edge.processorChannel(channel.eventLoop()),
        initialMetadata.metadata(), channel.eventLoop(), routes.filter(), edge.processorStats(),
        new ProcessorOutcomes(this)));
    if (arrivalRoute != null && arrivalRoute.extProcDisabled()) {
      processor.cancel("ext_proc is disabled for route " + arrivalRoute.name());
    }
    this.client = new ClientLeg(channel, connection, clientRequest, () -> advanceTo(Step.RESPONDING),
        this::responseComplete);
    this.origin = new OriginLeg(routes, channel.eventLoop(), edge, new OriginEvents(this), () -> routerReply(LocalReply.noRoute()),
        () -> routerReply(LocalReply.routeTimeout()));
    this.requestFlow = new MessageFlow(true, processor, origin, connection::requestReading,
        config.bufferLimitBytes(), () -> localReply(LocalReply.bodyOverLimit(true)));
    this.idleTimer = new StreamIdleTimer(channel.eventLoop(), config.timeouts().streamIdle(), this::streamIdle);
  }

  void start() {
    idleTimer.start();
    if (target.rejection() != null) {
      // Envoy's codec and connection manager answer these before any filter runs.
      localReply(target.rejection());
      return;
    }
    if (initialMetadata.problem() != null && processor.active()) {
      // Envoy cannot open the stream: a gRPC error before the first message.
      processor.fail("ext_proc_error_gRPC_error_13{" + initialMetadata.problem() + "}");
      if (step == Step.DONE) {
        return;
      }
    }
    requestFlow.onHead(client.requestHead(target), client.requestHasBody());
  }

  /** A request body chunk from the client; takes ownership of {@code data}. */
  void onRequestBody(ByteBuf data, boolean last) {
    if (last) {
      client.requestReceived();
    }
    idleTimer.touch();
    if (step == Step.DONE) {
      data.release();
      return;
    }
    requestFlow.onBody(data, last);
  }

  /**
   * The request turned out malformed after it began (a bad chunk, a second request over it):
   * everything stops and the origin request is reset. True when no response has begun, so the
   * caller answers 400; otherwise the client connection has been reset here.
   */
  boolean requestFailed(String reason) {
    if (step == Step.DONE) {
      return false;
    }
    if (responseStarted()) {
      abandon(reason);
      return false;
    }
    stopEverything(reason);
    return true;
  }

  void onClientClosed() {
    if (step != Step.DONE) {
      log.fine("client closed the connection before the response completed");
      abandon("client closed the connection");
    }
  }

  void onClientWritabilityChanged() {
    if (responseFlow != null) {
      responseFlow.onSinkWritable();
    }
  }

  // ---- for ProcessorOutcomes and OriginEvents ----

  ProcessorLink processor() {
    return processor;
  }

  ClientLeg client() {
    return client;
  }

  OriginLeg origin() {
    return origin;
  }

  MessageFlow requestFlow() {
    return requestFlow;
  }

  /** Null until a response arrived. */
  MessageFlow responseFlow() {
    return responseFlow;
  }

  /** Activity on the stream: the idle timeout starts over. */
  void touch() {
    idleTimer.touch();
  }

  boolean done() {
    return step == Step.DONE;
  }

  boolean responseStarted() {
    return step.compareTo(Step.RESPONDING) >= 0;
  }

  /** A response is going through the processor or to the client. */
  boolean responding() {
    return step == Step.RESPONSE || step == Step.RESPONDING;
  }

  /** Envoy's stream_idle_timeout: 408 before the response started, else a reset. */
  private void streamIdle() {
    if (responseStarted()) {
      abandon("stream idle timeout");
    } else {
      localReply(LocalReply.streamIdle());
    }
  }

  // ---- ending the exchange ----

  /** Steps never go back (a late origin response after the router's own reply included). */
  private void advanceTo(Step next) {
    if (next.compareTo(step) > 0) {
      step = next;
    }
  }

  /**
   * The response flow, for the origin's response or the router's own reply; {@code codeDetails}
   * as Envoy records them ({@code via_upstream} for the origin's).
   */
  MessageFlow startResponse(MessageFlow.Source source, String codeDetails) {
    advanceTo(Step.RESPONSE);
    processor.responseStarts(codeDetails);
    responseFlow = new MessageFlow(false, processor, client, source, config.bufferLimitBytes(),
        () -> localReply(LocalReply.bodyOverLimit(false)));
    return responseFlow;
  }

  /**
   * An upstream failure answered the way Envoy's router does: the local reply passes back
   * through the response side of the filter chain, so the processor sees it as response
   * headers (and may, for example, serve a stale copy instead). Once the origin's response
   * headers arrived it is too late: Envoy's router resets the stream
   * (upstream_reset_after_response_started), and so does the exchange.
   */
  void routerReply(LocalReply reply) {
    if (step == Step.DONE) {
      return;
    }
    if (step != Step.REQUEST) {
      abandon(reply.details() + " after the response headers arrived");
      return;
    }
    origin.responseEnded();
    MessageFlow flow = startResponse(on -> { }, reply.details());
    boolean withBody = !client.headRequest() && reply.hasBody();
    flow.onHead(reply.routerHead(), withBody);
    if (withBody) {
      flow.onBody(reply.content(), true);
    }
  }

  /** A plain-text local reply, like Envoy's; resets the client if the response already started. */
  void localReply(LocalReply reply) {
    if (step == Step.DONE) {
      return;
    }
    if (responseStarted()) {
      abandon(reply.details());
      return;
    }
    log.fine(() -> "local reply " + reply.status() + " details=" + LogText.quote(reply.details()));
    sendLocalReply(MessageHead.withStatus(reply.status()), reply.content());
  }

  /** Replaces whatever was in progress with {@code head} and {@code body} (taking ownership). */
  void sendLocalReply(MessageHead head, ByteBuf body) {
    if (step == Step.DONE) {
      body.release();
      return;
    }
    stopEverything("local reply");
    client.writeLocalReply(head, body);
  }

  /** Gives up on the exchange: resets the client connection (used after the response started). */
  void abandon(String reason) {
    if (step == Step.DONE) {
      return;
    }
    log.fine(() -> "resetting client connection: reason=" + LogText.quote(reason));
    stopEverything(reason);
    client.reset();
  }

  private void stopEverything(String reason) {
    step = Step.DONE;
    idleTimer.cancel();
    requestFlow.abort();
    if (responseFlow != null) {
      responseFlow.abort();
    }
    if (processor.active()) {
      processor.cancel(reason);
    }
    origin.abort();
  }

  /** The response's last byte went to the client. */
  private void responseComplete() {
    step = Step.DONE;
    idleTimer.cancel();
    if (processor.active()) {
      processor.finish();
    }
    requestFlow.abort();
    origin.close();
    client.responseWritten();
  }
}
