package io.edgecache.edge.http;

import io.netty.buffer.ByteBuf;

/** A body chunk a {@link MessageFlow} holds until it may forward it. */
final class HeldChunk {
  /** Replaced when the processor mutates the chunk. */
  ByteBuf data;
  final boolean last;
  /** Sent to the processor (STREAMED). */
  boolean sent;
  /** Answered by the processor, or no answer is needed any more. */
  boolean answered;

  HeldChunk(ByteBuf data, boolean last) {
    this.data = data;
    this.last = last;
  }
}
