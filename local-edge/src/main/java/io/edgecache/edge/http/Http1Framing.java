package io.edgecache.edge.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;

/** How a forwarded message is framed on HTTP/1.1, in either direction. */
final class Http1Framing {
  private Http1Framing() {}

  /**
   * As Envoy's HTTP/1 codec frames it: by the content-length the message still has (the ext_proc
   * filter removes it where the body may change), else chunked.
   */
  static void frame(HttpHeaders headers, boolean hasBody) {
    headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
    if (hasBody && !headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
      headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    }
  }
}
