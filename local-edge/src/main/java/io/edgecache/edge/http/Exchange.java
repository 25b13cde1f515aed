package io.edgecache.edge.http;

import io.edgecache.edge.config.ExtProcConfigValidator;
import io.edgecache.edge.config.LocalEdgeConfig;
import io.edgecache.edge.extproc.HeaderMutator;
import io.edgecache.edge.extproc.InitialMetadata;
import io.edgecache.edge.extproc.MutationRejected;
import io.edgecache.edge.extproc.ProcessorSession;
import io.edgecache.edge.extproc.ProcessorSession.Phase;
import io.edgecache.edge.extproc.ProtocolException;
import io.edgecache.edge.http.UpstreamListener.ResetReason;
import io.edgecache.edge.routing.RouteEntry;
import io.edgecache.edge.routing.RouteTable;
import io.edgecache.edge.routing.Upstream;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * One HTTP request/response through local-edge, as Envoy's filter chain (ext_proc, then the
 * router) would run it: the request goes through the processor, is routed and sent to the
 * origin; the response comes back through the processor to the client.
 *
 * <p>Everything here runs on the client connection's event loop; origin connections are on the
 * same loop and gRPC callbacks hop to it once.
 */
final class Exchange implements ProcessorSession.Handler, UpstreamListener {
  private static final Logger log = Logger.getLogger(Exchange.class.getName());

  private final Channel client;
  private final DownstreamHandler connection;
  private final EdgeContext edge;
  private final LocalEdgeConfig config;
  private final ExternalProcessor filter;
  private final HttpRequest clientRequest;
  private final RequestTarget target;
  private final boolean headRequest;
  private final boolean clientKeepAlive;
  private final InitialMetadata initialMetadata;
  private final ProcessorSession session;
  private final MessageFlow requestFlow;
  private MessageFlow responseFlow;
  private ProcessingMode mode;
  private boolean requestProcessingStopped;
  private boolean responseProcessingStopped;
  private final RouteTable routes;
  private RouteEntry route;
  private UpstreamCall upstream;
  private ScheduledFuture<?> upstreamTimer;
  private final StreamIdleTimer idleTimer;
  private boolean interimForwarded;
  private boolean upstreamKeepAlive;
  private boolean upstreamResponseEnded;
  private boolean requestReceived;
  private boolean requestSent;
  private boolean responseStarted;
  private boolean finished;

  Exchange(Channel client, DownstreamHandler connection, EdgeContext edge, HttpRequest clientRequest) {
    this.client = client;
    this.connection = connection;
    this.edge = edge;
    this.config = edge.config();
    this.routes = edge.routes();
    this.filter = routes.filter();
    this.mode = filter.getProcessingMode();
    this.clientRequest = clientRequest;
    this.headRequest = HttpMethod.HEAD.equals(clientRequest.method());
    this.clientKeepAlive = HttpUtil.isKeepAlive(clientRequest)
        && clientRequest.protocolVersion().equals(HttpVersion.HTTP_1_1);
    // As in Envoy, the ext_proc filter's per-route config comes from the route the request
    // matches on arrival; the router matches again after the processor may have changed it.
    this.target = RequestTarget.of(clientRequest, routes.paths());
    RouteEntry arrivalRoute = target.rejection() != null ? null
        : routes.match(target.authority(), target.path(), clientRequest.headers());
    this.initialMetadata = routes.initialMetadata(arrivalRoute);
    this.session = new ProcessorSession(edge.processorChannel(), initialMetadata.metadata(),
        client.eventLoop(), filter, edge.processorStats(), this);
    if (arrivalRoute != null && arrivalRoute.extProcDisabled()) {
      session.cancel("ext_proc is disabled for route " + arrivalRoute.name());
    }
    this.requestFlow = new MessageFlow(true, this, new UpstreamSink(), connection::requestReading,
        config.bufferLimitBytes());
    this.idleTimer = new StreamIdleTimer(client.eventLoop(), config.timeouts().streamIdle(), this::streamIdle);
  }

  void start() {
    idleTimer.start();
    if (target.rejection() != null) {
      // Envoy's codec and connection manager answer these before any filter runs.
      localReply(400, "Bad Request: " + target.rejection());
      return;
    }
    if (initialMetadata.problem() != null && session.active()) {
      // Envoy cannot open the stream: a gRPC error before the first message.
      session.fail("ext_proc_error_gRPC_error_13{" + initialMetadata.problem() + "}");
      if (finished) {
        return;
      }
    }
    MessageHead head = new MessageHead();
    head.setPseudo(MessageHead.METHOD, clientRequest.method().name());
    head.setPseudo(MessageHead.PATH, target.path());
    head.setPseudo(MessageHead.AUTHORITY, target.authority());
    head.setPseudo(MessageHead.SCHEME, "http");
    head.copyEndToEndHeaders(clientRequest.headers());
    // Envoy keeps Host only as :authority, and adds these before any filter runs.
    head.headers().remove(HttpHeaderNames.HOST);
    if (!head.headers().contains("x-forwarded-proto")) {
      head.headers().set("x-forwarded-proto", "http");
    }
    if (!head.headers().contains("x-request-id")) {
      head.headers().set("x-request-id", requestId());
    }
    boolean hasBody = HttpUtil.isTransferEncodingChunked(clientRequest)
        || HttpUtil.getContentLength(clientRequest, 0L) > 0;
    requestFlow.onHead(head, hasBody);
  }

  /**
   * A random (version 4) UUID like Envoy's x-request-id. It identifies, it does not protect,
   * so it comes from the thread's fast generator rather than SecureRandom, which showed up in
   * the per-request profile.
   */
  private static String requestId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long high = (random.nextLong() & ~0xF000L) | 0x4000L;
    long low = (random.nextLong() & ~(0xC000L << 48)) | (0x8000L << 48);
    return new UUID(high, low).toString();
  }

  /** A request body chunk from the client; takes ownership of {@code data}. */
  void onRequestBody(ByteBuf data, boolean last) {
    requestReceived |= last;
    idleTimer.touch();
    if (finished) {
      data.release();
      return;
    }
    requestFlow.onBody(data, last);
  }

  void onClientClosed() {
    if (!finished) {
      log.fine("client closed the connection before the response completed");
      abandon("client closed the connection");
    }
  }

  void onClientWritabilityChanged() {
    if (responseFlow != null) {
      responseFlow.onSinkWritable();
    }
  }

  // ---- used by the flows ----

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
    if (!session.active() || (request ? requestProcessingStopped : responseProcessingStopped)) {
      return BodySendMode.NONE;
    }
    return request ? mode.getRequestBodyMode() : mode.getResponseBodyMode();
  }

  /** CONTINUE_AND_REPLACE: no further messages for this direction. */
  void stopProcessing(boolean request) {
    if (request) {
      requestProcessingStopped = true;
    } else {
      responseProcessingStopped = true;
    }
  }

  void sendToProcessor(boolean request, boolean headers, ProcessingRequest message) {
    Phase phase = request
        ? (headers ? Phase.REQUEST_HEADERS : Phase.REQUEST_BODY)
        : (headers ? Phase.RESPONSE_HEADERS : Phase.RESPONSE_BODY);
    session.send(phase, message);
  }

  /** A BUFFERED body exceeded the buffer limit: 413 for a request, 500 for a response, as Envoy. */
  void bodyOverLimit(boolean request) {
    if (request) {
      localReply(413, "Payload Too Large");
    } else {
      localReply(500, "Internal Server Error");
    }
  }

  // ---- ext_proc session outcomes ----

  @Override
  public void onAnswer(Phase phase, ProcessingResponse response) {
    idleTimer.touch();
    try {
      switch (phase) {
        case REQUEST_HEADERS -> {
          if (applyModeOverride(response)) {
            requestFlow.onHeadersAnswer(response.getRequestHeaders().getResponse());
          }
        }
        case REQUEST_BODY -> requestFlow.onBodyAnswer(response.getRequestBody().getResponse());
        case RESPONSE_HEADERS -> {
          if (applyModeOverride(response)) {
            responseFlow.onHeadersAnswer(response.getResponseHeaders().getResponse());
          }
        }
        case RESPONSE_BODY -> responseFlow.onBodyAnswer(response.getResponseBody().getResponse());
      }
    } catch (MutationRejected e) {
      // Filter::handleErrorResponse: status_on_error, whatever failure_mode_allow says.
      session.cancel(e.getMessage());
      localReply(statusOnError(), e.getMessage());
      return;
    } catch (ProtocolException e) {
      session.fail("ext_proc_error_" + e.getMessage());
      return;
    }
    closeStreamIfLastAnswer();
  }

  /**
   * Half-closes the stream once neither direction will send the processor anything more, as
   * Envoy >= 1.37 does ({@code Filter::closeGrpcStreamIfLastRespReceived}).
   */
  private void closeStreamIfLastAnswer() {
    if (!session.active() || finished || !requestFlow.processorDone()) {
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
   * Envoy's {@code status_on_error} for failed and rejected processing. The api jar this project
   * builds against predates that field, so no configuration here can set it: its default, 500.
   */
  private static int statusOnError() {
    return 500;
  }

  /**
   * Honors {@code mode_override} the way Envoy's {@code Filter::onReceiveMessage} does: only
   * with allow_mode_override, only a mode in allowed_override_modes when that list is set; its
   * DEFAULT header and trailer modes leave the configured ones in place, its body modes always
   * apply ({@code effectiveModeOverride}). Returns false when the session failed instead.
   */
  private boolean applyModeOverride(ProcessingResponse response) {
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

  /**
   * {@code Filter::sendImmediateResponse}: a status under 200 becomes 200; the header mutation
   * is applied as far as it goes, a rejected one only logged, as Envoy does.
   */
  @Override
  public void onImmediateResponse(ImmediateResponse response) {
    if (responseStarted) {
      abandon("immediate_response after the response headers were sent");
      return;
    }
    MessageHead head = new MessageHead();
    int status = response.getStatus().getCodeValue();
    head.setPseudo(MessageHead.STATUS, Integer.toString(status < 200 ? 200 : status));
    try {
      if (response.hasHeaders()) {
        HeaderMutator.apply(response.getHeaders(), head, false, false, false);
      }
    } catch (MutationRejected e) {
      log.warning("ext_proc immediate response mutations failed with " + e.getMessage());
    } catch (ProtocolException e) {
      localReply(statusOnError(), "ext_proc_error_" + e.getMessage());
      return;
    }
    sendLocalReply(head, Unpooled.wrappedBuffer(response.getBody().asReadOnlyByteBuffer()));
  }

  @Override
  public void onFailure(ProcessorSession.Failure failure) {
    if (filter.getFailureModeAllow()) {
      log.fine(() -> "ext_proc failed (" + failure.detail() + "); failure_mode_allow: continuing without it");
      bypassProcessor();
    } else {
      localReply(failure.timeout() ? 504 : statusOnError(), failure.detail());
    }
  }

  @Override
  public void onServerClosed() {
    bypassProcessor();
  }

  private void bypassProcessor() {
    requestFlow.bypassProcessor();
    if (responseFlow != null) {
      responseFlow.bypassProcessor();
    }
  }

  // ---- origin events ----

  @Override
  public void onConnectFailed(Throwable cause) {
    log.fine(() -> "origin connect failed: " + cause);
    routerReply(503, "upstream connect error or disconnect/reset before headers. reset reason: connection failure");
  }

  /**
   * Envoy hands an origin's 1xx straight to the client, past the filter chain (ext_proc does not
   * see it, so it is never stored), and only the first of a response's 1xx (envoyproxy/envoy
   * issue 19044). 100 Continue is not forwarded: Envoy answered the client's Expect itself
   * (proxy_100_continue off). HTTP/1.0 clients get no 1xx (RFC 9110 §15.2).
   */
  @Override
  public void onInterimResponse(HttpResponse response) {
    idleTimer.touch();
    int status = response.status().code();
    if (finished || responseStarted || interimForwarded || status == 100 || status == 101
        || !clientRequest.protocolVersion().equals(HttpVersion.HTTP_1_1)) {
      return;
    }
    interimForwarded = true;
    MessageHead head = new MessageHead();
    head.copyEndToEndHeaders(response.headers());
    connection.writeInterim(response.status(), head.headers());
  }

  @Override
  public void onResponseHead(HttpResponse response) {
    idleTimer.touch();
    if (finished) {
      return;
    }
    upstreamKeepAlive = HttpUtil.isKeepAlive(response);
    MessageHead head = new MessageHead();
    head.setPseudo(MessageHead.STATUS, Integer.toString(response.status().code()));
    head.copyEndToEndHeaders(response.headers());
    int status = response.status().code();
    boolean hasBody = !headRequest && status != 204 && status != 304
        && (HttpUtil.isTransferEncodingChunked(response) || HttpUtil.getContentLength(response, -1L) != 0);
    responseFlow = new MessageFlow(false, this, new ClientSink(), upstream::reading, config.bufferLimitBytes());
    responseFlow.onHead(head, hasBody);
  }

  @Override
  public void onResponseBody(ByteBuf data, boolean last) {
    idleTimer.touch();
    if (last) {
      upstreamResponseEnded = true;
      cancelUpstreamTimer();
    }
    if (finished || responseFlow == null) {
      data.release();
      return;
    }
    responseFlow.onBody(data, last);
    if (last) {
      releaseUpstreamIfDone();
    }
  }

  /**
   * As Envoy's router: a reset before the origin's response headers becomes a local reply
   * (503, or 502 for a protocol error) that the processor still sees, so it may serve stale;
   * after them the client's stream is reset.
   */
  @Override
  public void onUpstreamReset(ResetReason reason) {
    if (upstreamResponseEnded || finished) {
      return;
    }
    routerReply(reason == ResetReason.PROTOCOL_ERROR ? 502 : 503,
        "upstream connect error or disconnect/reset before headers. reset reason: " + reason.text());
  }

  /** Envoy's stream_idle_timeout: 408 before the response started, else a reset. */
  private void streamIdle() {
    if (responseStarted) {
      abandon("stream idle timeout");
    } else {
      localReply(408, "stream timeout");
    }
  }

  @Override
  public void onUpstreamWritabilityChanged() {
    requestFlow.onSinkWritable();
  }

  /** The whole request went to the origin: Envoy's route timeout starts now. */
  private void requestSent() {
    requestSent = true;
    long nanos = route.timeout().toNanos();
    if (nanos > 0) {
      upstreamTimer = client.eventLoop().schedule(
          () -> routerReply(504, "upstream request timeout"), nanos, TimeUnit.NANOSECONDS);
    }
  }

  private void cancelUpstreamTimer() {
    if (upstreamTimer != null) {
      upstreamTimer.cancel(false);
      upstreamTimer = null;
    }
  }

  // ---- ending the exchange ----

  /**
   * An upstream failure answered the way Envoy's router does: the local reply passes back
   * through the response side of the filter chain, so the processor sees it as response
   * headers (and may, for example, serve a stale copy instead). Once the origin's response
   * headers arrived it is too late: Envoy's router resets the stream
   * (upstream_reset_after_response_started), and so does the exchange.
   */
  private void routerReply(int status, String body) {
    if (finished) {
      return;
    }
    if (responseFlow != null || responseStarted) {
      abandon(body + " after the response headers arrived");
      return;
    }
    upstreamResponseEnded = true;
    cancelUpstreamTimer();
    MessageHead head = new MessageHead();
    head.setPseudo(MessageHead.STATUS, Integer.toString(status));
    head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
    ByteBuf data = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
    head.headers().set(HttpHeaderNames.CONTENT_LENGTH, data.readableBytes());
    responseFlow = new MessageFlow(false, this, new ClientSink(), on -> { }, config.bufferLimitBytes());
    responseFlow.onHead(head, !headRequest);
    if (headRequest) {
      data.release();
    } else {
      responseFlow.onBody(data, true);
    }
  }

  /** A plain-text local reply, like Envoy's; resets the client if the response already started. */
  private void localReply(int status, String body) {
    if (finished) {
      return;
    }
    if (responseStarted) {
      abandon(body);
      return;
    }
    MessageHead head = new MessageHead();
    head.setPseudo(MessageHead.STATUS, Integer.toString(status));
    sendLocalReply(head, Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
  }

  /**
   * Replaces whatever was in progress with {@code head} and {@code body}, framed as Envoy's
   * {@code Utility::prepareLocalReply} and {@code encodeLocalReply} do: a non-empty body sets
   * Content-Length to its size and Content-Type to text/plain when none was given; an empty
   * body removes both; a HEAD request gets the headers only.
   */
  private void sendLocalReply(MessageHead head, ByteBuf body) {
    if (finished) {
      body.release();
      return;
    }
    stopEverything("local reply");
    HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(head.status()));
    response.headers().add(head.headers());
    response.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
    if (body.isReadable()) {
      response.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
      if (!response.headers().contains(HttpHeaderNames.CONTENT_TYPE)) {
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
      }
    } else {
      response.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
      response.headers().remove(HttpHeaderNames.CONTENT_TYPE);
      if (!headRequest && mayHaveBody(head.status())) {
        // Envoy's HTTP/1 codec ends a bodiless response it sends with end_stream this way.
        response.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
      }
    }
    boolean keepAlive = clientKeepAlive && requestReceived;
    if (!keepAlive) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    client.write(response);
    if (headRequest) {
      body.release();
      client.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    } else {
      client.writeAndFlush(new DefaultLastHttpContent(body));
    }
    connection.exchangeDone(keepAlive);
  }

  private static boolean mayHaveBody(int status) {
    return status >= 200 && status != 204 && status != 304;
  }

  /** Gives up on the exchange: resets the client connection (used after the response started). */
  private void abandon(String reason) {
    if (finished) {
      return;
    }
    log.fine(() -> "resetting client connection: " + reason);
    stopEverything(reason);
    client.close();
  }

  private void stopEverything(String reason) {
    finished = true;
    idleTimer.cancel();
    responseStarted = true;
    requestFlow.abort();
    if (responseFlow != null) {
      responseFlow.abort();
    }
    if (session.active()) {
      session.cancel(reason);
    }
    cancelUpstreamTimer();
    if (upstream != null) {
      upstream.abort();
    }
  }

  /** The response's last byte went to the client. */
  private void responseComplete() {
    finished = true;
    idleTimer.cancel();
    cancelUpstreamTimer();
    if (session.active()) {
      session.finish();
    }
    requestFlow.abort();
    releaseUpstreamIfDone();
    connection.exchangeDone(clientKeepAlive && requestReceived);
  }

  /** Reuse the origin connection only after a complete request and response on it. */
  private void releaseUpstreamIfDone() {
    if (!finished || upstream == null) {
      return;
    }
    if (upstreamResponseEnded && upstreamKeepAlive && requestSent) {
      upstream.release();
    } else {
      upstream.abort();
    }
  }

  /** Sends the processed request to the routed origin. */
  private final class UpstreamSink implements MessageFlow.Sink {
    @Override
    public void head(MessageHead head, boolean hasBody) {
      String path = head.pseudo(MessageHead.PATH);
      // clear_route_cache needs no handling: the route table is consulted here, after the
      // processor answered, so a mutated :path is always routed afresh.
      route = routes.match(head.pseudo(MessageHead.AUTHORITY), path, head.headers());
      if (route == null) {
        localReply(404, "");
        return;
      }
      HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1,
          HttpMethod.valueOf(head.pseudo(MessageHead.METHOD)), path);
      String authority = head.pseudo(MessageHead.AUTHORITY);
      if (authority != null) {
        request.headers().set(HttpHeaderNames.HOST, authority);
      }
      request.headers().add(head.headers());
      frame(request.headers(), hasBody);
      Upstream.Endpoint endpoint = route.upstream().pick();
      upstream = edge.pool(client.eventLoop()).acquire(endpoint.host(), endpoint.port(), Exchange.this);
      upstream.write(request);
      if (!hasBody) {
        upstream.write(LastHttpContent.EMPTY_LAST_CONTENT);
        requestSent();
      }
    }

    @Override
    public void body(ByteBuf chunk, boolean last) {
      if (upstream == null) {
        chunk.release();
        return;
      }
      upstream.write(last ? new DefaultLastHttpContent(chunk) : new DefaultHttpContent(chunk));
      if (last) {
        requestSent();
      }
    }

    @Override
    public boolean writable() {
      return upstream != null && upstream.writable();
    }
  }

  /** Sends the processed response to the client. */
  private final class ClientSink implements MessageFlow.Sink {
    @Override
    public void head(MessageHead head, boolean hasBody) {
      responseStarted = true;
      HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(head.status()));
      response.headers().add(head.headers());
      if (!headRequest) {
        frame(response.headers(), hasBody);
      }
      if (!(clientKeepAlive && requestReceived)) {
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      }
      if (hasBody) {
        client.writeAndFlush(response);
      } else {
        client.write(response);
        client.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        responseComplete();
      }
    }

    @Override
    public void body(ByteBuf chunk, boolean last) {
      client.writeAndFlush(last ? new DefaultLastHttpContent(chunk) : new DefaultHttpContent(chunk));
      if (last) {
        responseComplete();
      }
    }

    @Override
    public boolean writable() {
      return client.isWritable();
    }
  }

  /**
   * HTTP/1.1 framing for a forwarded message, as Envoy's HTTP/1 codec frames it: by the
   * content-length the message still has (the ext_proc filter removes it where the body may
   * change), else chunked.
   */
  private static void frame(HttpHeaders headers, boolean hasBody) {
    headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
    if (hasBody && !headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
      headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    }
  }
}
