package io.edgecache.edge.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * How Envoy's HTTP/1 codec hands a message's body to the filter chain, in either direction: the
 * bytes as data as they are read ({@code on_body}), and the end as an empty end_stream buffer of
 * its own ({@code on_message_complete}), however the body was framed. Netty puts a
 * Content-Length body's last bytes in its LastHttpContent; they are split off here, so a
 * processor in STREAMED mode gets the body's chunks and then an empty {@code end_of_stream}
 * one, as behind Envoy.
 */
final class CodecBody {

  /** Where a body goes: the exchange's request or response side. */
  interface Sink {
    void onBody(ByteBuf data, boolean last);
  }

  private CodecBody() {}

  static void handOn(ByteBuf data, boolean last, Sink sink) {
    if (last && data.isReadable()) {
      sink.onBody(data, false);
      sink.onBody(Unpooled.EMPTY_BUFFER, true);
    } else {
      sink.onBody(data, last);
    }
  }
}
