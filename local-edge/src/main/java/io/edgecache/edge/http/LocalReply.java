package io.edgecache.edge.http;

import io.edgecache.edge.extproc.ProcessorSession;
import io.edgecache.edge.http.UpstreamListener.ResetReason;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;

/**
 * A reply local-edge makes itself instead of forwarding one, with the status and plain-text body
 * Envoy gives the same cause: its connection manager, its router, and the ext_proc filter's
 * {@code Filter::handleErrorResponse} and {@code onMessageTimeout}.
 *
 * @param details what Envoy records as the response code details (its access log's
 *     {@code %RESPONSE_CODE_DETAILS%}); the body, unless the reply has none of its own
 */
record LocalReply(int status, String body, String details) {

  LocalReply(int status, String body) {
    this(status, body, body);
  }

  private static final String RESET_BEFORE_HEADERS =
      "upstream connect error or disconnect/reset before headers. reset reason: ";

  /**
   * Envoy's {@code status_on_error} for failed and rejected processing. The api jar this project
   * builds against predates that field, so no configuration here can set it: its default, 500.
   */
  static final int STATUS_ON_ERROR = 500;

  /**
   * ActiveStream::decodeHeaders: a path that does not start with '/' (only OPTIONS' asterisk-form
   * gets that far) is answered 404 with details absolute_path; the connection stays open.
   */
  static LocalReply nonRelativePath() {
    return new LocalReply(404, "", "absolute_path");
  }

  /** The codec or connection manager refused the request target, before any filter ran. */
  static LocalReply badRequest(String rejection) {
    return new LocalReply(400, "Bad Request: " + rejection);
  }

  /** An https absolute-form target on a plaintext connection: the codec's 403. */
  static LocalReply httpsInPlaintext() {
    return new LocalReply(403, "Forbidden: https in the clear");
  }

  /**
   * No route matched the processed request: the router's empty 404 (route_not_found), which
   * passes back through the response side of the filter chain like its other replies.
   */
  static LocalReply noRoute() {
    return new LocalReply(404, "", "route_not_found");
  }

  /** A BUFFERED body over the buffer limit: 413 for a request, 500 for a response. */
  static LocalReply bodyOverLimit(boolean request) {
    return request ? new LocalReply(413, "Payload Too Large") : new LocalReply(500, "Internal Server Error");
  }

  /** stream_idle_timeout before the response started. */
  static LocalReply streamIdle() {
    return new LocalReply(408, "stream timeout");
  }

  /**
   * The processor failed without failure_mode_allow: 504 for a message timeout, else
   * status_on_error. Envoy's ext_proc filter answers these with an ImmediateResponse that sets
   * only a status and details (ext_proc.cc, onMessageTimeout, onGrpcError), so the body is empty.
   */
  static LocalReply processorFailed(ProcessorSession.Failure failure) {
    return new LocalReply(failure.timeout() ? 504 : STATUS_ON_ERROR, "", failure.detail());
  }

  /** A rejected header mutation: status_on_error, whatever failure_mode_allow says; no body. */
  static LocalReply mutationRejected(String detail) {
    return new LocalReply(STATUS_ON_ERROR, "", detail);
  }

  /** An immediate response local-edge cannot reproduce: status_on_error, no body. */
  static LocalReply unreproducibleImmediateResponse(String detail) {
    return new LocalReply(STATUS_ON_ERROR, "", "ext_proc_error_" + detail);
  }

  /**
   * The router could not connect to the origin: Envoy's reset reason for a refused connection is
   * "remote connection failure" with the socket's error as the transport failure reason
   * (ConnectionImpl: "delayed connect error: " and strerror), for a connect timeout
   * "connection timeout".
   */
  static LocalReply connectFailure(Throwable cause) {
    if (cause instanceof ConnectTimeoutException) {
      return upstreamReset(503, "connection timeout", "");
    }
    boolean refused = cause instanceof ConnectException && String.valueOf(cause.getMessage()).contains("Connection refused");
    return upstreamReset(503, "remote connection failure", refused ? "delayed connect error: Connection refused" : "");
  }

  /** The origin connection ended before the response headers: 502 for a protocol error, else 503. */
  static LocalReply upstreamReset(ResetReason reason) {
    return upstreamReset(reason == ResetReason.PROTOCOL_ERROR ? 502 : 503, reason.text(), "");
  }

  /**
   * Router::Filter::onUpstreamReset: the body names the reset reason and any transport failure
   * reason; the details are upstream_reset_before_response_started{reason|transport}, spaces
   * made underscores.
   */
  private static LocalReply upstreamReset(int status, String reason, String transport) {
    String body = RESET_BEFORE_HEADERS + reason + (transport.isEmpty() ? "" : ", transport failure reason: " + transport);
    String details = "upstream_reset_before_response_started{" + reason + (transport.isEmpty() ? "" : "|" + transport) + "}";
    return new LocalReply(status, body, details.replace(' ', '_'));
  }

  /** The route timeout passed before the origin's response ended. */
  static LocalReply routeTimeout() {
    return new LocalReply(504, "upstream request timeout", "response_timeout");
  }

  boolean hasBody() {
    return !body.isEmpty();
  }

  /** The body as a new buffer the caller owns. */
  ByteBuf content() {
    return Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
  }

  /** The head of the router's reply as it enters the response side of the filter chain. */
  MessageHead routerHead() {
    MessageHead head = MessageHead.withStatus(status);
    frame(head.headers(), body.getBytes(StandardCharsets.UTF_8).length);
    return head;
  }

  /**
   * Frames a local reply's headers as {@code Utility::prepareLocalReply} does: a body of
   * {@code bodyBytes} sets Content-Length and, when none was given, Content-Type text/plain; an
   * empty one removes both (the headers then end the stream).
   */
  static void frame(HttpHeaders headers, int bodyBytes) {
    if (bodyBytes > 0) {
      headers.set(HttpHeaderNames.CONTENT_LENGTH, bodyBytes);
      if (!headers.contains(HttpHeaderNames.CONTENT_TYPE)) {
        headers.set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
      }
    } else {
      headers.remove(HttpHeaderNames.CONTENT_LENGTH);
      headers.remove(HttpHeaderNames.CONTENT_TYPE);
    }
  }
}
