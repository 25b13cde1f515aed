package io.edgecache.extproc.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.edgecache.extproc.CacheNode;
import io.edgecache.extproc.http.HttpDates;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;

/**
 * Runs a synthetic miss and hit through the exchange code before the server takes traffic.
 * On a cold JVM the first real request would otherwise spend Envoy's whole 200 ms
 * {@code message_timeout} loading protobuf descriptors and policy classes, and Envoy would
 * carry on without the cache (or fail the request).
 */
public final class Warmup {

  private Warmup() {}

  /** Exercises {@code scratch}, a node whose store is thrown away afterwards. */
  public static void run(CacheNode scratch) {
    StreamObserver<ProcessingResponse> discard = new StreamObserver<>() {
      @Override
      public void onNext(ProcessingResponse value) {
        roundTrip(value.toByteArray(), ProcessingResponse.parser()::parseFrom);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
    String date = HttpDates.format(scratch.clock().instant());
    ProcessingRequest request = ProcessingRequest.newBuilder()
        .setRequestHeaders(HttpHeaders.newBuilder().setEndOfStream(true).setHeaders(headers(
            ":method", "GET", ":path", "/warmup?q=1", ":authority", "warmup.invalid",
            ":scheme", "http")))
        .build();
    ProcessingRequest response = ProcessingRequest.newBuilder()
        .setResponseHeaders(HttpHeaders.newBuilder().setHeaders(headers(
            ":status", "200", "date", date, "cache-control", "public, max-age=60",
            "content-length", "2")))
        .build();
    ProcessingRequest body = ProcessingRequest.newBuilder()
        .setResponseBody(HttpBody.newBuilder().setBody(ByteString.copyFromUtf8("ok"))
            .setEndOfStream(true))
        .build();

    CacheExchange miss = new CacheExchange(scratch, discard, null);
    for (ProcessingRequest message : new ProcessingRequest[] {request, response, body}) {
      miss.onNext(roundTrip(message.toByteArray(), ProcessingRequest.parser()::parseFrom));
    }
    miss.onCompleted();
    CacheExchange hit = new CacheExchange(scratch, discard, null);
    hit.onNext(request);
    hit.onCompleted();
  }

  private interface Parser<T> {
    T parse(byte[] bytes) throws InvalidProtocolBufferException;
  }

  private static <T> T roundTrip(byte[] bytes, Parser<T> parser) {
    try {
      return parser.parse(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("warm-up message does not parse", e);
    }
  }

  /** A header map with values in {@code raw_value}, as newer Envoys send them. */
  public static HeaderMap headers(String... nameValues) {
    HeaderMap.Builder map = HeaderMap.newBuilder();
    for (int i = 0; i < nameValues.length; i += 2) {
      map.addHeaders(HeaderValue.newBuilder().setKey(nameValues[i])
          .setRawValue(ByteString.copyFrom(nameValues[i + 1], StandardCharsets.ISO_8859_1)));
    }
    return map.build();
  }
}
