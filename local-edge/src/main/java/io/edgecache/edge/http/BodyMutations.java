package io.edgecache.edge.http;

import io.edgecache.edge.extproc.MutationRejected;
import io.edgecache.edge.extproc.ProtocolException;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;

/** A processor's {@link BodyMutation} checked against its head and applied to a body chunk or a whole body. */
final class BodyMutations {
  private BodyMutations() {}

  /**
   * When {@code head} still declares a Content-Length (after the answer's header mutation), a
   * mutated body of another length is refused with a status_on_error reply; a processor that
   * changes the length sets the new one in the same answer.
   */
  static void requireDeclaredLength(BodyMutation mutation, MessageHead head) throws MutationRejected {
    String declared = head.headers().get(HttpHeaderNames.CONTENT_LENGTH);
    if (declared == null) {
      return;
    }
    long length;
    try {
      length = Long.parseLong(declared.trim());
    } catch (NumberFormatException e) {
      return; // absl::SimpleAtoi fails, and Envoy does not compare
    }
    if (length != mutation.getBody().size()) {
      throw new MutationRejected("mismatch between content length and the length of the mutated body");
    }
  }

  /** Applies {@code mutation} to {@code original}, releasing it when replaced. */
  static ByteBuf apply(BodyMutation mutation, ByteBuf original) throws ProtocolException {
    switch (mutation.getMutationCase()) {
      case BODY -> {
        original.release();
        return Unpooled.wrappedBuffer(mutation.getBody().asReadOnlyByteBuffer());
      }
      case CLEAR_BODY -> {
        if (!mutation.getClearBody()) {
          return original;
        }
        original.release();
        return Unpooled.EMPTY_BUFFER;
      }
      case STREAMED_RESPONSE -> throw new ProtocolException(
          "body_mutation.streamed_response needs FULL_DUPLEX_STREAMED, which local-edge does not support");
      default -> {
        return original;
      }
    }
  }
}
