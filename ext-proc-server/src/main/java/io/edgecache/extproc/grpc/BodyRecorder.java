package io.edgecache.extproc.grpc;

import com.google.protobuf.ByteString;

/**
 * Collects a response body chunk by chunk, up to a byte limit. Chunks are kept as the
 * ByteStrings gRPC delivered (no copy); concatenation builds a rope.
 */
final class BodyRecorder {

  private final long maxBytes;
  private ByteString body = ByteString.EMPTY;

  BodyRecorder(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  /** Adds a chunk; false once the body outgrows the limit (the caller then drops this). */
  boolean append(ByteString chunk) {
    if (body.size() + (long) chunk.size() > maxBytes) {
      body = ByteString.EMPTY;
      return false;
    }
    body = body.concat(chunk);
    return true;
  }

  ByteString body() {
    return body;
  }
}
