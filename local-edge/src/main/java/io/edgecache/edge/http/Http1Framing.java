package io.edgecache.edge.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.util.Set;

/**
 * How a forwarded message is framed on HTTP/1.1, in either direction, as Envoy's HTTP/1 codec
 * frames it ({@code StreamEncoderImpl::encodeHeadersBase}).
 */
final class Http1Framing {
  /** {@code HeaderUtility::requestShouldHaveNoBody}: the codec adds no length to these. */
  private static final Set<HttpMethod> BODILESS_METHODS = Set.of(
      HttpMethod.GET, HttpMethod.HEAD, HttpMethod.DELETE, HttpMethod.TRACE, HttpMethod.CONNECT);

  private Http1Framing() {}

  /**
   * By the content-length the message still has (the ext_proc filter removes it where the body
   * may change), else chunked when a body follows; when the headers end the message and it is
   * one that may carry a body, {@code content-length: 0}, so the peer need not read to the
   * connection's close.
   *
   * @param mayCarryBody from {@link #responseMayCarryBody} or {@link #requestMayCarryBody}
   */
  static void frame(HttpHeaders headers, boolean hasBody, boolean mayCarryBody) {
    headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
    if (headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
      return;
    }
    if (hasBody) {
      headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    } else if (mayCarryBody) {
      headers.set(HttpHeaderNames.CONTENT_LENGTH, 0);
    }
  }

  /**
   * A response to HEAD, which carries no body whatever it declares: it keeps its content-length;
   * without one, Envoy's codec still writes an informational {@code transfer-encoding: chunked}
   * for a status that may carry a body (encodeHeadersBase), and then no chunk at all.
   */
  static void frameHeadResponse(HttpHeaders headers, int status) {
    headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
    if (!headers.contains(HttpHeaderNames.CONTENT_LENGTH) && responseMayCarryBody(status)) {
      headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    }
  }

  /** Whether a response with {@code status} may carry a body (not 1xx, 204, 304); HEAD aside. */
  static boolean responseMayCarryBody(int status) {
    return status >= 200 && status != 204 && status != 304;
  }

  static boolean requestMayCarryBody(HttpMethod method) {
    return !BODILESS_METHODS.contains(method);
  }
}
