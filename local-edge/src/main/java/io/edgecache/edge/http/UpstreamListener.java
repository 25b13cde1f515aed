package io.edgecache.edge.http;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpResponse;

/** Events of one upstream request, delivered on the exchange's event loop. */
interface UpstreamListener {
  void onConnectFailed(Throwable cause);

  void onResponseHead(HttpResponse response);

  /** Takes ownership of {@code data}. */
  void onResponseBody(ByteBuf data, boolean last);

  /** The connection closed; after a complete response this is of no concern. */
  void onUpstreamClosed();

  void onUpstreamWritabilityChanged();
}
