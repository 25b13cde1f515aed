package io.edgecache.edge.http;

import io.edgecache.edge.extproc.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * The body chunks one {@link MessageFlow} holds, in arrival order, and how many bytes the flow
 * holds in all: these, and a BUFFERED body while it is collected from them, which decides when
 * the flow pauses its source. Confined to the exchange's event loop.
 */
final class HeldChunks implements Iterable<HeldChunk> {
  private final ArrayDeque<HeldChunk> chunks = new ArrayDeque<>();
  private long bytes;

  /** A chunk arrived; takes ownership of {@code data}. */
  void add(ByteBuf data, boolean last) {
    chunks.add(new HeldChunk(data, last));
    bytes += data.readableBytes();
  }

  long bytes() {
    return bytes;
  }

  boolean isEmpty() {
    return chunks.isEmpty();
  }

  HeldChunk peek() {
    return chunks.peek();
  }

  /** The oldest chunk, which leaves the flow's hold. */
  HeldChunk poll() {
    HeldChunk chunk = chunks.poll();
    bytes -= chunk.data.readableBytes();
    return chunk;
  }

  /** The oldest chunk sent to the processor and not yet answered, or null. */
  HeldChunk oldestUnanswered() {
    for (HeldChunk chunk : chunks) {
      if (chunk.sent && !chunk.answered) {
        return chunk;
      }
    }
    return null;
  }

  /** Where {@link #sendUnsent} sends a chunk's bytes (they stay held until answered). */
  interface BodySender {
    void send(ByteBuf data, boolean last);
  }

  /** Sends every chunk neither sent nor answered yet, in order (STREAMED). */
  void sendUnsent(BodySender sender) {
    for (HeldChunk chunk : chunks) {
      if (!chunk.sent && !chunk.answered) {
        chunk.sent = true;
        sender.send(chunk.data, chunk.last);
      }
    }
  }

  /** How a processor's answer turns a chunk's bytes into new ones (releasing the old if replaced). */
  interface Mutation {
    ByteBuf apply(ByteBuf original) throws ProtocolException;
  }

  /**
   * Replaces {@code chunk}'s bytes by what {@code mutation} makes of them. The old size is read
   * before the mutation runs: a replaced buffer is released, and a pooled one may already
   * belong to someone else.
   */
  void mutate(HeldChunk chunk, Mutation mutation) throws ProtocolException {
    int before = chunk.data.readableBytes();
    chunk.data = mutation.apply(chunk.data);
    bytes += chunk.data.readableBytes() - before;
  }

  /** No chunk waits for an answer any more. */
  void answerAll() {
    for (HeldChunk chunk : chunks) {
      chunk.answered = true;
    }
  }

  /** Moves every chunk into {@code body}, a BUFFERED body being collected; the bytes stay held. */
  void collectInto(CompositeByteBuf body) {
    while (!chunks.isEmpty()) {
      body.addComponent(true, chunks.poll().data);
    }
  }

  /** Puts a collected BUFFERED body back in front, as one chunk; its bytes are still held. */
  void putBack(ByteBuf body, boolean last) {
    chunks.addFirst(new HeldChunk(body, last));
  }

  /** The collected BUFFERED body, all the flow held, went on: nothing is held any more. */
  void collectedReleased() {
    bytes = 0;
  }

  /**
   * Envoy holds the body that arrives while the headers are with the processor and, once they
   * are answered, sends what it holds as one message: all of it with end_of_stream when the
   * body is complete, else the part so far as the first chunk
   * ({@code ProcessorState::handleHeadersResponse}). So a small response read at once is one
   * body message, not its codec's data chunk and empty end.
   */
  void merge() {
    if (chunks.size() < 2) {
      return;
    }
    CompositeByteBuf held = Unpooled.compositeBuffer(Integer.MAX_VALUE);
    boolean last = false;
    while (!chunks.isEmpty()) {
      HeldChunk chunk = chunks.poll();
      held.addComponent(true, chunk.data);
      last |= chunk.last;
    }
    chunks.add(new HeldChunk(held, last));
  }

  /** Releases every chunk; nothing is held any more. */
  void releaseAll() {
    for (HeldChunk chunk : chunks) {
      chunk.data.release();
    }
    chunks.clear();
    bytes = 0;
  }

  @Override
  public Iterator<HeldChunk> iterator() {
    return chunks.iterator();
  }
}
