package io.edgecache.edge.http;

import io.edgecache.edge.extproc.ProtocolException;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** A processor's {@link BodyMutation} applied to a body chunk or a whole body. */
final class BodyMutations {
  private BodyMutations() {}

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
