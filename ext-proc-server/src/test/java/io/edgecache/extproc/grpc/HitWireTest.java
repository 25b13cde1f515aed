package io.edgecache.extproc.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.edgecache.extproc.cache.WireHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.grpc.Drainable;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

class HitWireTest {

  private static final HeaderMutation STORED = HeaderMutation.newBuilder()
      .addSetHeaders(WireHeaders.line("content-type", "text/plain", false))
      .addSetHeaders(WireHeaders.line("link", "</a>", false))
      .addSetHeaders(WireHeaders.line("link", "</b>", true))
      .build();
  private static final ByteString PER_HIT =
      WireHeaders.twoLines("age", "3", "cache-status", "edgecache; hit; ttl=57");

  /** The message protobuf's builders make of the same parts. */
  private static ProcessingResponse built(int status, ByteString body) throws Exception {
    return ProcessingResponse.newBuilder().setImmediateResponse(ImmediateResponse.newBuilder()
            .setStatus(HttpStatus.newBuilder().setCodeValue(status))
            .setHeaders(STORED.toBuilder()
                .addAllSetHeaders(HeaderMutation.parseFrom(PER_HIT).getSetHeadersList()))
            .setBody(body)
            .setDetails("edgecache_hit"))
        .build();
  }

  private static byte[] written(Outbound hit) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    hit.writeTo(out);
    return out.toByteArray();
  }

  @Test
  void parsesAsTheMessageTheBuildersMake() throws Exception {
    for (int size : new int[] {1, 127, 128, 1024, 100 * 1024}) {
      ByteString body = ByteString.copyFrom(new byte[size]);
      HitWire hit = HitWire.of(200, STORED.toByteString(), PER_HIT, body);
      byte[] bytes = written(hit);
      assertEquals(hit.size(), bytes.length);
      assertEquals(built(200, body), ProcessingResponse.parseFrom(bytes), "body of " + size);
      assertEquals(size, hit.immediateBodySize());
    }
  }

  @Test
  void anEmptyBodyIsLeftOutAsProtobufWould() throws Exception {
    HitWire hit = HitWire.of(404, STORED.toByteString(), PER_HIT, ByteString.EMPTY);
    assertTrue(ProcessingResponse.parseFrom(written(hit)).getImmediateResponse().getBody()
        .isEmpty());
    assertEquals(built(404, ByteString.EMPTY), ProcessingResponse.parseFrom(written(hit)));
  }

  @Test
  void theMarshallerDrainsAHitOrReadsItByteWiseAlike() throws Exception {
    OutboundMarshaller marshaller = new OutboundMarshaller();
    HitWire hit = HitWire.of(200, STORED.toByteString(), PER_HIT, ByteString.copyFromUtf8("ok"));
    byte[] expected = written(hit);

    InputStream drained = marshaller.stream(hit);
    assertEquals(expected.length, drained.available());
    assertTrue(drained instanceof Drainable);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertEquals(expected.length, ((Drainable) drained).drainTo(out));
    assertArrayEquals(expected, out.toByteArray());
    assertEquals(-1, drained.read());

    assertArrayEquals(expected, marshaller.stream(hit).readAllBytes());
    assertEquals(built(200, ByteString.copyFromUtf8("ok")),
        ((Outbound.Message) marshaller.parse(marshaller.stream(hit))).response());
  }
}
