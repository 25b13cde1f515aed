package io.edgecache.edge.http;

import io.netty.buffer.ByteBuf;

/** Where a {@link MessageFlow} sends the processed message: the origin or the client. */
interface MessageSink {
  /**
   * @param hasBody whether body chunks follow; framed by the head's content-length when it
   *     kept one (as Envoy's HTTP/1 codec does), chunked otherwise
   */
  void head(MessageHead head, boolean hasBody);

  /** Takes ownership of {@code chunk}. */
  void body(ByteBuf chunk, boolean last);

  boolean writable();
}
