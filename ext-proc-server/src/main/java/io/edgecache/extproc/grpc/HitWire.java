package io.edgecache.extproc.grpc;

import com.google.protobuf.ByteOutput;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.WireFormat;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * A full hit as the bytes of its {@code ProcessingResponse}: an {@code immediate_response} with
 * the status, the entry's stored header lines, the per-hit Age and Cache-Status lines, the
 * stored body and the details, written around the stored bytes instead of copying them into
 * protobuf objects. gRPC's generated marshaller would serialize a built message into a fresh
 * buffer per hit and copy it again into the transport's; this writes the stored bytes once,
 * straight into the transport's buffer.
 *
 * <p>The stored and per-hit lines travel as two occurrences of {@code headers}, which protobuf
 * merges (repeated {@code set_headers} concatenate in order), exactly as the message a builder
 * would make of the same lines.
 */
final class HitWire implements Outbound {

  private static final String DETAILS = "edgecache_hit";
  private static final int LEN = WireFormat.WIRETYPE_LENGTH_DELIMITED;

  /** Outer tag and length, status, details and the stored lines' tag and length. */
  private final ByteString head;
  private final ByteString storedLines;
  /** The per-hit lines with their tag and length, and the body's tag and length. */
  private final ByteString tail;
  private final ByteString body;

  private HitWire(ByteString head, ByteString storedLines, ByteString tail, ByteString body) {
    this.head = head;
    this.storedLines = storedLines;
    this.tail = tail;
    this.body = body;
  }

  /**
   * The hit answering with {@code status}, {@code storedLines} then {@code perHitLines}
   * (serialized {@code HeaderMutation}s) and {@code body}; none of them is copied.
   */
  static HitWire of(int status, ByteString storedLines, ByteString perHitLines, ByteString body) {
    int statusSize = CodedOutputStream.computeEnumSize(HttpStatus.CODE_FIELD_NUMBER, status);
    int statusField = CodedOutputStream.computeTagSize(ImmediateResponse.STATUS_FIELD_NUMBER)
        + CodedOutputStream.computeUInt32SizeNoTag(statusSize) + statusSize;
    int detailsField =
        CodedOutputStream.computeStringSize(ImmediateResponse.DETAILS_FIELD_NUMBER, DETAILS);
    int storedPrefix = CodedOutputStream.computeTagSize(ImmediateResponse.HEADERS_FIELD_NUMBER)
        + CodedOutputStream.computeUInt32SizeNoTag(storedLines.size());
    int perHitField =
        CodedOutputStream.computeBytesSize(ImmediateResponse.HEADERS_FIELD_NUMBER, perHitLines);
    int bodyPrefix = body.isEmpty() ? 0 // proto3 leaves an empty bytes field out
        : CodedOutputStream.computeTagSize(ImmediateResponse.BODY_FIELD_NUMBER)
            + CodedOutputStream.computeUInt32SizeNoTag(body.size());
    int inner = statusField + detailsField + storedPrefix + storedLines.size() + perHitField
        + bodyPrefix + body.size();
    int outerPrefix =
        CodedOutputStream.computeTagSize(ProcessingResponse.IMMEDIATE_RESPONSE_FIELD_NUMBER)
            + CodedOutputStream.computeUInt32SizeNoTag(inner);
    int headSize = outerPrefix + statusField + detailsField + storedPrefix;
    byte[] small = new byte[headSize + perHitField + bodyPrefix];
    CodedOutputStream out = CodedOutputStream.newInstance(small);
    try {
      out.writeTag(ProcessingResponse.IMMEDIATE_RESPONSE_FIELD_NUMBER, LEN);
      out.writeUInt32NoTag(inner);
      out.writeTag(ImmediateResponse.STATUS_FIELD_NUMBER, LEN);
      out.writeUInt32NoTag(statusSize);
      out.writeEnum(HttpStatus.CODE_FIELD_NUMBER, status);
      out.writeString(ImmediateResponse.DETAILS_FIELD_NUMBER, DETAILS);
      out.writeTag(ImmediateResponse.HEADERS_FIELD_NUMBER, LEN);
      out.writeUInt32NoTag(storedLines.size());
      out.writeBytes(ImmediateResponse.HEADERS_FIELD_NUMBER, perHitLines);
      if (!body.isEmpty()) {
        out.writeTag(ImmediateResponse.BODY_FIELD_NUMBER, LEN);
        out.writeUInt32NoTag(body.size());
      }
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // an array of the computed size cannot overflow
    }
    return new HitWire(UnsafeByteOperations.unsafeWrap(small, 0, headSize), storedLines,
        UnsafeByteOperations.unsafeWrap(small, headSize, small.length - headSize), body);
  }

  /** Bytes of the serialized message. */
  int size() {
    return head.size() + storedLines.size() + tail.size() + body.size();
  }

  @Override
  public int immediateBodySize() {
    return body.size();
  }

  @Override
  public void writeTo(OutputStream out) throws IOException {
    ByteOutput target = new StreamByteOutput(out);
    UnsafeByteOperations.unsafeWriteTo(head, target);
    UnsafeByteOperations.unsafeWriteTo(storedLines, target);
    UnsafeByteOperations.unsafeWriteTo(tail, target);
    UnsafeByteOperations.unsafeWriteTo(body, target);
  }

  /**
   * Hands a ByteString's backing bytes to an OutputStream as they are: {@code
   * ByteString.writeTo(OutputStream)} copies them first, in case the stream kept the array; gRPC's
   * framer copies what it is given into the transport's buffer and keeps nothing.
   */
  private static final class StreamByteOutput extends ByteOutput {
    private final OutputStream out;

    StreamByteOutput(OutputStream out) {
      this.out = out;
    }

    @Override
    public void write(byte value) throws IOException {
      out.write(value);
    }

    @Override
    public void write(byte[] value, int offset, int length) throws IOException {
      out.write(value, offset, length);
    }

    @Override
    public void writeLazy(byte[] value, int offset, int length) throws IOException {
      out.write(value, offset, length);
    }

    @Override
    public void write(ByteBuffer value) throws IOException {
      if (value.hasArray()) {
        out.write(value.array(), value.arrayOffset() + value.position(), value.remaining());
      } else {
        byte[] copy = new byte[value.remaining()];
        value.duplicate().get(copy);
        out.write(copy);
      }
    }

    @Override
    public void writeLazy(ByteBuffer value) throws IOException {
      write(value);
    }
  }
}
