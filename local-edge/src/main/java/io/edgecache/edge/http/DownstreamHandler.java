package io.edgecache.edge.http;

import io.edgecache.security.LogText;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerExpectContinueHandler;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * One client connection: runs its requests one at a time as {@link Exchange}s, as Envoy's
 * HTTP/1 codec does. Reading stops while a request body must wait (backpressure) and after a
 * complete request until its response is done; pipelined requests that were already read wait,
 * decoded, in the {@link FlowControlHandler} in front of this handler and are answered in order.
 */
public final class DownstreamHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = Logger.getLogger(DownstreamHandler.class.getName());

  private final EdgeContext edge;
  private final RequestHeadersTimer headersTimer;
  private ChannelHandlerContext ctx;
  private Exchange current;
  private boolean requestBodyPaused;
  private boolean awaitingResponse;

  private DownstreamHandler(EdgeContext edge) {
    this.edge = edge;
    this.headersTimer = new RequestHeadersTimer(edge.config().timeouts().requestHeaders(), this::headersTimedOut);
  }

  /** Sets up a new client connection's pipeline. */
  public static void install(ChannelPipeline pipeline, EdgeContext edge) {
    DownstreamHandler handler = new DownstreamHandler(edge);
    pipeline.addLast(
        // Fires only while no request is active: Envoy's connection idle_timeout.
        new IdleStateHandler(0, 0, edge.config().timeouts().connectionIdle().toNanos(), TimeUnit.NANOSECONDS),
        handler.headersTimer,
        new EnvoyHttp1ServerCodec(),
        new FlowControlHandler(),
        // Envoy answers Expect: 100-continue itself rather than proxying it (proxy_100_continue off).
        new HttpServerExpectContinueHandler(),
        handler);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest request) {
      headersTimer.headReceived();
      if (headersTooLarge(request)) {
        ReferenceCountUtil.release(msg);
        // Envoy's codec: http1.headers_too_large / too_many_headers, 431, connection closed.
        respondAndClose(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "request headers too large");
        return;
      }
      if (request.decoderResult().isFailure() || current != null) {
        ReferenceCountUtil.release(msg);
        rejectAndClose(current != null ? "a request began before the previous response ended"
            : "malformed request: " + request.decoderResult().cause().getMessage());
        return;
      }
      if (!transferEncodingIsChunkedOnly(request.headers())) {
        ReferenceCountUtil.release(msg);
        // Envoy's codec: http1.invalid_transfer_encoding, 501, and the connection is closed.
        respondAndClose(HttpResponseStatus.NOT_IMPLEMENTED, "unsupported transfer encoding");
        return;
      }
      if (!request.protocolVersion().equals(HttpVersion.HTTP_1_1)) {
        ReferenceCountUtil.release(msg);
        // Envoy's codec without accept_http_10 (envoy.yaml and the pushed listeners leave it
        // off): 426 (Upgrade Required) for HTTP/1.0, and the connection is closed.
        respondAndClose(HttpResponseStatus.UPGRADE_REQUIRED, "HTTP/1.0 is not accepted");
        return;
      }
      current = new Exchange(ctx.channel(), this, edge, request);
      current.start();
    }
    if (msg instanceof HttpContent content) {
      if (content.decoderResult().isFailure()) {
        // A malformed chunk: Envoy's codec fails the stream (http1.codec_error) rather than
        // forwarding what came before it as the whole body.
        content.release();
        rejectAndClose("malformed request body: " + content.decoderResult().cause().getMessage());
        return;
      }
      boolean last = content instanceof LastHttpContent;
      if (current == null) {
        // The empty end of a bodiless request answered at its head (a local reply before any
        // filter): that exchange is over and the connection already awaits the next request.
        content.release();
        return;
      }
      if (last) {
        awaitingResponse = true;
        updateReading();
      }
      CodecBody.handOn(content.content(), last, current::onRequestBody);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (current != null) {
      current.onClientClosed();
      current = null;
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (current != null) {
      current.onClientWritabilityChanged();
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (!(event instanceof IdleStateEvent)) {
      ctx.fireUserEventTriggered(event);
    } else if (current == null) {
      log.fine("closing an idle client connection");
      ctx.close();
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.fine(() -> "client connection error: " + LogText.quote(String.valueOf(cause)));
    ctx.close();
  }

  /**
   * Writes an interim (1xx) response ahead of the final one. It is encoded here and written
   * below the HTTP codec: Netty's server encoder pairs every response it encodes with the next
   * request's method (for HEAD), so a 1xx through it would shift that pairing by one.
   */
  void writeInterim(HttpResponseStatus status, HttpHeaders headers) {
    StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status.code()).append(' ')
        .append(status.reasonPhrase()).append("\r\n");
    for (Map.Entry<String, String> header : headers) {
      head.append(header.getKey()).append(": ").append(header.getValue()).append("\r\n");
    }
    head.append("\r\n");
    ChannelHandlerContext belowCodec = ctx.pipeline().context(EnvoyHttp1ServerCodec.class);
    belowCodec.writeAndFlush(Unpooled.copiedBuffer(head, StandardCharsets.ISO_8859_1));
  }

  /** Backpressure from the request flow. */
  void requestReading(boolean on) {
    requestBodyPaused = !on;
    updateReading();
  }

  /** The exchange wrote its whole response; keep the connection for the next request or close it. */
  void exchangeDone(boolean keepAlive) {
    current = null;
    if (keepAlive) {
      headersTimer.awaitNextHead();
      awaitingResponse = false;
      requestBodyPaused = false;
      updateReading();
    } else {
      ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
  }

  private void updateReading() {
    ctx.channel().config().setAutoRead(!requestBodyPaused && !awaitingResponse);
  }

  /** Envoy's request_headers_timeout: 408, and the connection is closed. */
  private void headersTimedOut() {
    if (current == null) {
      respondAndClose(HttpResponseStatus.REQUEST_TIMEOUT, "request headers timeout");
    }
  }

  /**
   * A protocol error: the exchange under way, if any, is abandoned (its origin request reset);
   * the client gets a 400 unless a response to it has begun, and the connection is closed.
   */
  private void rejectAndClose(String reason) {
    Exchange failed = current;
    current = null;
    if (failed == null || failed.requestFailed(reason)) {
      respondAndClose(HttpResponseStatus.BAD_REQUEST, reason);
    } else {
      ctx.close(); // reset already, unless the exchange had ended
    }
  }

  private static boolean headersTooLarge(HttpRequest request) {
    Throwable failure = request.decoderResult().cause();
    return failure instanceof TooLongHttpHeaderException || failure instanceof TooLongHttpLineException
        || request.headers().size() > HeaderLimits.MAX_HEADERS_COUNT;
  }

  /**
   * Whether the request has no Transfer-Encoding or exactly {@code chunked}, the only one
   * Envoy's HTTP/1 codec takes (RFC 9112 6.1: a server that does not understand a coding
   * answers 501 and closes).
   */
  private static boolean transferEncodingIsChunkedOnly(HttpHeaders headers) {
    List<String> codings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
    return codings.isEmpty()
        || (codings.size() == 1 && codings.get(0).trim().equalsIgnoreCase("chunked"));
  }

  private void respondAndClose(HttpResponseStatus status, String reason) {
    log.fine(() -> "closing client connection: " + LogText.quote(reason));
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
        Unpooled.EMPTY_BUFFER);
    response.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }
}
