package io.edgecache.extproc.grpc;

import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The ext_proc method's response marshaller on the node's side: built messages go through
 * protobuf's marshaller, a {@link HitWire} is drained straight into the transport (gRPC's
 * framer takes a {@link Drainable} {@link KnownLength} stream without an intermediate buffer).
 */
final class OutboundMarshaller implements MethodDescriptor.Marshaller<Outbound> {

  private static final MethodDescriptor.Marshaller<ProcessingResponse> PROTO =
      ProtoUtils.marshaller(ProcessingResponse.getDefaultInstance());

  @Override
  public InputStream stream(Outbound value) {
    if (value instanceof HitWire hit) {
      return new HitStream(hit);
    }
    return PROTO.stream(((Outbound.Message) value).response());
  }

  @Override
  public Outbound parse(InputStream stream) {
    return new Outbound.Message(PROTO.parse(stream));
  }

  /** A hit's bytes, drained once; read byte-wise only by a caller that does not drain. */
  private static final class HitStream extends InputStream implements Drainable, KnownLength {
    private HitWire hit;
    private InputStream copy;

    HitStream(HitWire hit) {
      this.hit = hit;
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      if (hit == null) {
        return (int) copied().transferTo(target);
      }
      int size = hit.size();
      hit.writeTo(target);
      hit = null;
      copy = InputStream.nullInputStream();
      return size;
    }

    @Override
    public int available() throws IOException {
      return hit != null ? hit.size() : copied().available();
    }

    @Override
    public int read() throws IOException {
      return copied().read();
    }

    @Override
    public int read(byte[] into, int offset, int length) throws IOException {
      return copied().read(into, offset, length);
    }

    private InputStream copied() throws IOException {
      if (copy == null) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(hit.size());
        hit.writeTo(bytes);
        hit = null;
        copy = new ByteArrayInputStream(bytes.toByteArray());
      }
      return copy;
    }
  }
}
