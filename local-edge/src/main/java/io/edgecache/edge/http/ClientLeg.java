package io.edgecache.edge.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultHttpContent;
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
import java.util.Date;

/**
 * The client's side of an exchange, as Envoy's connection manager and HTTP/1 codec treat it:
 * the request head as the filter chain first sees it ({@link EdgeRequestHead}), and everything
 * written back (interim responses, the processed response, local replies) with the connection
 * kept or closed after it. Confined to the client connection's event loop.
 */
final class ClientLeg implements MessageSink {
  /** Envoy's default server_name, which it writes as every response's Server. */
  private static final String ENVOY_SERVER_NAME = "envoy";

  private final Channel client;
  private final DownstreamHandler connection;
  private final HttpRequest request;
  private final boolean headRequest;
  private final boolean keepAliveRequested;
  private final Runnable onResponseStarted;
  private final Runnable onResponseComplete;
  private boolean requestReceived;
  private boolean interimForwarded;

  /**
   * @param onResponseStarted the processed response's head was written
   * @param onResponseComplete its last byte was written
   */
  ClientLeg(Channel client, DownstreamHandler connection, HttpRequest request, Runnable onResponseStarted,
      Runnable onResponseComplete) {
    this.client = client;
    this.connection = connection;
    this.request = request;
    this.headRequest = HttpMethod.HEAD.equals(request.method());
    this.keepAliveRequested = HttpUtil.isKeepAlive(request); // HTTP/1.1: the codec refused 1.0
    this.onResponseStarted = onResponseStarted;
    this.onResponseComplete = onResponseComplete;
    // Envoy's codec ends a bodiless request with its headers (decodeHeaders with end_stream), so
    // a reply given at once, before any filter, leaves the connection open.
    this.requestReceived = !requestHasBody();
  }

  boolean headRequest() {
    return headRequest;
  }

  /** The request head as the filter chain sees it, for the normalised {@code target}. */
  MessageHead requestHead(RequestTarget target) {
    return EdgeRequestHead.of(request, target, client);
  }

  /** Whether a response head for this request announces a body (none to HEAD, 204 or 304). */
  boolean responseHasBody(HttpResponse response) {
    return !headRequest && Http1Framing.responseMayCarryBody(response.status().code())
        && (HttpUtil.isTransferEncodingChunked(response) || HttpUtil.getContentLength(response, -1L) != 0);
  }

  boolean requestHasBody() {
    return HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;
  }

  /** The client's request ended; only then may the connection carry another. */
  void requestReceived() {
    requestReceived = true;
  }

  private boolean keepAlive() {
    return keepAliveRequested && requestReceived;
  }

  /**
   * Envoy hands an origin's 1xx straight to the client, past the filter chain (ext_proc does not
   * see it, so it is never stored), and only the first of a response's 1xx (envoyproxy/envoy
   * issue 19044). 100 Continue is not forwarded: Envoy answered the client's Expect itself
   * (proxy_100_continue off).
   */
  void forwardInterim(HttpResponse response) {
    int status = response.status().code();
    if (interimForwarded || status == 100 || status == 101) {
      return;
    }
    interimForwarded = true;
    MessageHead head = new MessageHead();
    head.copyResponseHeaders(response.headers());
    MessageHead.removeResponseHopByHop(head.headers());
    connection.writeInterim(response.status(), head.headers());
  }

  @Override
  public void head(MessageHead head, boolean hasBody) {
    onResponseStarted.run();
    HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(head.status()));
    response.headers().add(head.headers());
    finishHeaders(response.headers());
    if (headRequest) {
      Http1Framing.frameHeadResponse(response.headers(), head.status());
    } else {
      Http1Framing.frame(response.headers(), hasBody, Http1Framing.responseMayCarryBody(head.status()));
    }
    if (!keepAlive()) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    if (hasBody) {
      client.writeAndFlush(response);
    } else {
      client.write(response);
      client.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
      onResponseComplete.run();
    }
  }

  @Override
  public void body(ByteBuf chunk, boolean last) {
    client.writeAndFlush(last ? new DefaultLastHttpContent(chunk) : new DefaultHttpContent(chunk));
    if (last) {
      onResponseComplete.run();
    }
  }

  @Override
  public boolean writable() {
    return client.isWritable();
  }

  /**
   * Writes {@code head} and {@code body} as a reply of local-edge's own, framed as Envoy's
   * {@code Utility::prepareLocalReply} ({@link LocalReply#frame}) and {@code encodeLocalReply}
   * do: a HEAD request gets the headers only. Takes ownership of {@code body}.
   */
  void writeLocalReply(MessageHead head, ByteBuf body) {
    HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(head.status()));
    response.headers().add(head.headers());
    finishHeaders(response.headers());
    LocalReply.frame(response.headers(), body.readableBytes());
    if (headRequest) {
      Http1Framing.frameHeadResponse(response.headers(), head.status());
    } else if (!body.isReadable()) {
      Http1Framing.frame(response.headers(), false, Http1Framing.responseMayCarryBody(head.status()));
    }
    boolean keepAlive = keepAlive();
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

  /**
   * What Envoy's connection manager does to every final response after the filter chain
   * ({@code ActiveStream::encodeHeaders}): mutateResponseHeaders' hop-by-hop removal, a Date
   * when the response has none (an origin's is kept), and Server set to its server_name, "envoy"
   * ({@code server_header_transformation} OVERWRITE, which envoy.yaml and the pushed listeners
   * leave as it is).
   */
  private static void finishHeaders(HttpHeaders response) {
    MessageHead.removeResponseHopByHop(response);
    if (!response.contains(HttpHeaderNames.DATE)) {
      response.set(HttpHeaderNames.DATE, DateFormatter.format(new Date()));
    }
    response.set(HttpHeaderNames.SERVER, ENVOY_SERVER_NAME);
  }

  /** The processed response was written whole: the connection may carry the next request. */
  void responseWritten() {
    connection.exchangeDone(keepAlive());
  }

  /** Gives up on the client: resets its connection (used after the response started). */
  void reset() {
    client.close();
  }
}
