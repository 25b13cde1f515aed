package io.edgecache.edge.http;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpResponse;

/** Events of one upstream request, delivered on the exchange's event loop. */
interface UpstreamListener {
  /** Why an origin connection ended before the response was complete, in Envoy's reset-reason words. */
  enum ResetReason {
    /** The origin closed or reset the connection. */
    CONNECTION_TERMINATION("connection termination"),
    /** The origin's bytes were not a valid HTTP/1.1 response (bad head, bad chunk, body cut short). */
    PROTOCOL_ERROR("protocol error");

    private final String text;

    ResetReason(String text) {
      this.text = text;
    }

    /** As Envoy's router writes it after "reset reason: ". */
    String text() {
      return text;
    }
  }

  void onConnectFailed(Throwable cause);

  /** An interim (1xx) response; it never ends the exchange. */
  void onInterimResponse(HttpResponse response);

  void onResponseHead(HttpResponse response);

  /** Takes ownership of {@code data}. */
  void onResponseBody(ByteBuf data, boolean last);

  /** The connection ended before the final response was complete; the connection is closed. */
  void onUpstreamReset(ResetReason reason);

  void onUpstreamWritabilityChanged();
}
