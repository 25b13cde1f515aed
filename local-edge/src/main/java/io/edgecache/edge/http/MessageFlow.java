package io.edgecache.edge.http;

import io.edgecache.edge.extproc.ProtocolException;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;

/**
 * One direction of an exchange (the request towards the origin, or the response towards the
 * client) passing through the ext_proc processor: the head is sent to the processor and held
 * until answered; the body follows in the current body mode.
 *
 * <ul>
 *   <li>NONE: chunks go straight to the sink.
 *   <li>STREAMED: each chunk is sent to the processor as it arrives and goes to the sink, in
 *       order, once its answer (possibly a body mutation) arrived; what arrived while the
 *       headers were with the processor goes as one chunk. When that is the whole body, Envoy
 *       sends it as if buffering (a BufferedBodyCallback): the head waits for its answer, which
 *       may mutate the head too.
 *   <li>BUFFERED: the whole body is collected (up to the buffer limit), sent as one message and
 *       released with the head once answered ({@link BufferedBody}); a body mutation must
 *       match the Content-Length the head declares, which the same answer may change.
 * </ul>
 *
 * <p>Flow control: the source is paused while held (unanswered or unsent) bytes, counted by
 * {@link HeldChunks}, exceed the buffer limit or the sink cannot take more, so large bodies
 * stream with bounded memory.
 * Confined to the exchange's event loop.
 */
final class MessageFlow {
  /** Where the message comes from; pausing it stops reading from its socket. */
  interface Source {
    void reading(boolean on);
  }

  private final boolean request;
  private final ProcessorLink processor;
  private final MessageSink sink;
  private final Source source;
  private final int limit;
  private final Runnable overLimit;
  private final HeldChunks chunks = new HeldChunks();
  private MessageHead head;
  private boolean hasBody;
  private boolean awaitingHeadersAnswer;
  private boolean headersProcessed;
  /** A STREAMED head held until the answer to the whole body sent with it as one message. */
  private boolean headWaitsForBody;
  private BodySendMode bodyMode = BodySendMode.NONE;
  /** The BUFFERED body while it is collected or with the processor; null otherwise. */
  private BufferedBody buffered;
  private boolean sourceEnded;
  private boolean lastChunkAnswered;
  private boolean done;

  /** @param overLimit a BUFFERED body exceeded {@code limit}; the flow stops there */
  MessageFlow(boolean request, ProcessorLink processor, MessageSink sink, Source source, int limit, Runnable overLimit) {
    this.request = request;
    this.processor = processor;
    this.sink = sink;
    this.source = source;
    this.limit = limit;
    this.overLimit = overLimit;
  }

  void onHead(MessageHead head, boolean hasBody) {
    this.head = head;
    this.hasBody = hasBody;
    // Decided by the mode in force when the headers go out, before any mode_override can
    // answer them (Filter::decodeHeaders/encodeHeaders, ProcessorState::shouldRemoveContentLength).
    boolean removeContentLength = processor.removesContentLength(request);
    boolean sendsHeaders = processor.sendsHeaders(request);
    if (sendsHeaders) {
      awaitingHeadersAnswer = true;
      processor.sendHeaders(request, head, !hasBody);
    }
    // After the processor saw the headers as they came, before anything forwards them.
    if (removeContentLength) {
      head.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
    }
    if (!sendsHeaders) {
      processHeaders();
    }
  }

  /** Takes ownership of {@code data}. */
  void onBody(ByteBuf data, boolean last) {
    if (!hasBody || done) {
      data.release();
      return;
    }
    chunks.add(data, last);
    sourceEnded |= last;
    pump();
  }

  void onHeadersAnswer(CommonResponse answer) throws ProtocolException {
    awaitingHeadersAnswer = false;
    processor.applyHeaderMutation(request, answer, head);
    if (answer.getStatus() == CommonResponse.ResponseStatus.CONTINUE_AND_REPLACE) {
      // No further messages for this direction; the body mutation, if any, is the whole body.
      processor.stopProcessing(request);
      if (answer.hasBodyMutation()) {
        replaceWholeMessage(BodyMutations.apply(answer.getBodyMutation(), Unpooled.EMPTY_BUFFER));
        return;
      }
    }
    processHeaders();
  }

  void onBodyAnswer(CommonResponse answer) throws ProtocolException {
    if (bodyMode == BodySendMode.BUFFERED && buffered.sent()) {
      applyToHeldHead(answer);
      ByteBuf body = buffered.answered(answer);
      buffered = null;
      releaseBufferedMessage(body);
      return;
    }
    HeldChunk chunk = chunks.oldestUnanswered();
    if (bodyMode != BodySendMode.STREAMED || chunk == null) {
      throw new ProtocolException("body answer without a body message awaiting it");
    }
    if (headWaitsForBody) {
      applyToHeldHead(answer);
      releaseHeldHead();
    }
    if (answer.hasBodyMutation()) {
      chunks.mutate(chunk, original -> BodyMutations.apply(answer.getBodyMutation(), original));
    }
    chunk.answered = true;
    lastChunkAnswered |= chunk.last;
    pump();
  }

  /**
   * Whether this direction will send the processor nothing more: its headers are processed and
   * there is no body, the body mode is NONE, or the last STREAMED chunk was answered. BUFFERED
   * counts as never done, as in Envoy's {@code closeGrpcStreamIfLastRespReceived}.
   */
  boolean processorDone() {
    if (done) {
      return true;
    }
    if (!headersProcessed || awaitingHeadersAnswer) {
      return false;
    }
    return !hasBody || bodyMode == BodySendMode.NONE
        || (bodyMode == BodySendMode.STREAMED && lastChunkAnswered);
  }

  /** The processor is gone (failure_mode_allow, or it closed the stream): finish unprocessed. */
  void bypassProcessor() {
    if (done || head == null) {
      return;
    }
    if (awaitingHeadersAnswer) {
      awaitingHeadersAnswer = false;
      processHeaders();
      return;
    }
    if (headWaitsForBody) {
      releaseHeldHead();
    }
    if (bodyMode == BodySendMode.BUFFERED) {
      bodyMode = BodySendMode.NONE;
      sink.head(head, true);
      buffered.giveBack(sourceEnded);
      buffered = null;
    }
    chunks.answerAll();
    bodyMode = BodySendMode.NONE;
    pump();
  }

  /** The sink became writable again. */
  void onSinkWritable() {
    pump();
  }

  /** Drops everything held; the exchange ended some other way. */
  void abort() {
    done = true;
    chunks.releaseAll();
    if (buffered != null) {
      buffered.release();
      buffered = null;
    }
  }

  private void processHeaders() {
    headersProcessed = true;
    bodyMode = hasBody ? processor.bodyMode(request) : BodySendMode.NONE;
    if (!hasBody) {
      done = true;
      sink.head(head, false);
      return;
    }
    if (bodyMode == BodySendMode.BUFFERED) {
      buffered = new BufferedBody(chunks, limit, processor, request);
    } else if (bodyMode == BodySendMode.STREAMED && sourceEnded) {
      headWaitsForBody = true; // the whole body came while the headers were with the processor
    } else {
      sink.head(head, true);
    }
    if (bodyMode == BodySendMode.STREAMED) {
      chunks.merge();
    }
    pump();
  }

  /**
   * A body answer while the head is still held, for a BUFFERED body or a whole STREAMED one sent
   * with the head (ProcessorState::handleBodyResponse, BufferedBodyCallback): its header
   * mutation applies, and a body mutation must match the length the head then declares.
   */
  private void applyToHeldHead(CommonResponse answer) throws ProtocolException {
    processor.applyHeaderMutation(request, answer, head);
    if (answer.hasBodyMutation()) {
      BodyMutations.requireDeclaredLength(answer.getBodyMutation(), head);
    }
  }

  private void releaseHeldHead() {
    headWaitsForBody = false;
    sink.head(head, true);
  }

  private void pump() {
    if (!headersProcessed || done) {
      updateReading();
      return;
    }
    switch (bodyMode) {
      case NONE -> forwardWhile(false);
      case STREAMED -> {
        chunks.sendUnsent((data, last) -> processor.sendBody(request, data, last));
        forwardWhile(true);
      }
      case BUFFERED -> {
        if (!buffered.collect()) {
          overLimit.run();
          return;
        }
        buffered.sendWhenComplete(sourceEnded);
      }
      default -> throw new IllegalStateException("unsupported body mode " + bodyMode);
    }
    updateReading();
  }

  /** Forwards the oldest chunks to the sink, while they are answered if {@code answeredOnly}. */
  private void forwardWhile(boolean answeredOnly) {
    while (!chunks.isEmpty() && (!answeredOnly || chunks.peek().answered) && !done) {
      HeldChunk chunk = chunks.poll();
      done = chunk.last;
      sink.body(chunk.data, chunk.last);
    }
  }

  private void releaseBufferedMessage(ByteBuf body) {
    done = true;
    sink.head(head, true);
    sink.body(body, true);
  }

  /**
   * CONTINUE_AND_REPLACE with a body: Envoy removes Content-Length "if changing the body"
   * (ProcessorState::handleHeadersResponse), so a non-empty replacement goes out chunked.
   */
  private void replaceWholeMessage(ByteBuf body) {
    abort();
    head.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
    hasBody = body.isReadable();
    sink.head(head, hasBody);
    if (hasBody) {
      sink.body(body, true);
    } else {
      body.release();
    }
    updateReading();
  }

  private void updateReading() {
    boolean sinkBlocked = headersProcessed && bodyMode != BodySendMode.BUFFERED && !sink.writable();
    source.reading(done || !(chunks.bytes() > limit || sinkBlocked));
  }
}
