package io.edgecache.extproc.grpc;

import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import java.io.IOException;
import java.io.OutputStream;

/**
 * What the node sends on an ext_proc stream: a {@code ProcessingResponse} message, or a hit
 * already in its wire form ({@link HitWire}). Both are the same protobuf message to the peer;
 * {@link OutboundMarshaller} writes each.
 */
sealed interface Outbound permits Outbound.Message, HitWire {

  /** Bytes of the immediate response's body, 0 when there is none. */
  int immediateBodySize();

  /** Writes the serialized {@code ProcessingResponse}. */
  void writeTo(OutputStream out) throws IOException;

  /** A message built with protobuf's builders. */
  record Message(ProcessingResponse response) implements Outbound {

    @Override
    public int immediateBodySize() {
      return response.getImmediateResponse().getBody().size();
    }

    @Override
    public void writeTo(OutputStream out) throws IOException {
      response.writeTo(out);
    }
  }
}
