package io.edgecache.edge.http;

import io.edgecache.edge.extproc.ProtocolException;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;

/**
 * A BUFFERED body of one {@link MessageFlow}: collected from the flow's held chunks up to the
 * buffer limit, sent to the processor once, as one message, when the source ended, and released
 * with the head once answered. Its bytes count as held (in {@link HeldChunks}) until then.
 * Confined to the exchange's event loop.
 */
final class BufferedBody {
  private final CompositeByteBuf collected = Unpooled.compositeBuffer(Integer.MAX_VALUE);
  private final HeldChunks chunks;
  private final int limit;
  private final ProcessorLink processor;
  private final boolean request;
  private boolean sent;

  /** @param chunks the flow's held chunks, which it collects from and gives back to */
  BufferedBody(HeldChunks chunks, int limit, ProcessorLink processor, boolean request) {
    this.chunks = chunks;
    this.limit = limit;
    this.processor = processor;
    this.request = request;
  }

  /** Moves every held chunk in; false when the body now exceeds the buffer limit. */
  boolean collect() {
    chunks.collectInto(collected);
    return collected.readableBytes() <= limit;
  }

  /** Sends the body once, as one message ending the stream, when the source ended. */
  void sendWhenComplete(boolean sourceEnded) {
    if (sourceEnded && !sent) {
      sent = true;
      processor.sendBody(request, collected, true);
    }
  }

  boolean sent() {
    return sent;
  }

  /**
   * The processor's answer to the body: the collected bytes, or what its body mutation makes of
   * them. Ownership passes to the caller; the flow holds nothing any more.
   */
  ByteBuf answered(CommonResponse answer) throws ProtocolException {
    ByteBuf body = answer.hasBodyMutation() ? BodyMutations.apply(answer.getBodyMutation(), collected) : collected;
    chunks.collectedReleased();
    return body;
  }

  /** The processor is gone: the collected bytes go back in front of the held chunks, as one. */
  void giveBack(boolean last) {
    chunks.putBack(collected, last);
  }

  void release() {
    collected.release();
  }
}
