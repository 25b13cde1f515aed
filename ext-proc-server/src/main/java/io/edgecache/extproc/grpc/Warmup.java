package io.edgecache.extproc.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.edgecache.extproc.fields.HttpDates;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs synthetic collapsed bursts through the exchange code before the server takes traffic:
 * per round a leader misses, followers join its flight (and ask Envoy for more time), the
 * leader's response is recorded and the followers are served from it, then a hit. On a cold
 * JVM the first burst would otherwise spend Envoy's whole 200 ms {@code message_timeout}
 * loading classes and running interpreted code on the one transport thread every stream of
 * the edge's connection shares, and Envoy would carry on without the cache. The rounds run
 * until the paths are compiled or the time budget is spent, whichever comes first.
 */
public final class Warmup {

  /** Enough rounds for the JIT's first tier to compile the request-headers path. */
  private static final int ROUNDS = 300;
  private static final int FOLLOWERS = 3;
  /** Start-up must stay well inside the 10 s a restarted node has to be useful. */
  private static final Duration BUDGET = Duration.ofSeconds(3);

  private Warmup() {}

  /** Exercises {@code scratch}, the services of a node whose store is thrown away afterwards. */
  public static void run(ExchangeServices scratch) {
    StreamObserver<Outbound> discard = new StreamObserver<>() {
      @Override
      public void onNext(Outbound value) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
          value.writeTo(bytes);
        } catch (IOException e) {
          throw new UncheckedIOException(e); // a byte array stream does not fail
        }
        roundTrip(bytes.toByteArray(), ProcessingResponse.parser()::parseFrom);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
    long deadline = System.nanoTime() + BUDGET.toNanos();
    for (int round = 0; round < ROUNDS && System.nanoTime() < deadline; round++) {
      collapsedBurst(scratch, discard, "/warmup/" + round + "?q=1");
    }
  }

  /** A leader, {@link #FOLLOWERS} requests collapsed behind it, then a hit, on {@code path}. */
  private static void collapsedBurst(ExchangeServices scratch,
      StreamObserver<Outbound> discard, String path) {
    String date = HttpDates.format(scratch.clock.instant());
    ProcessingRequest request = ProcessingRequest.newBuilder()
        .setRequestHeaders(HttpHeaders.newBuilder().setEndOfStream(true).setHeaders(headers(
            ":method", "GET", ":path", path, ":authority", "warmup.invalid",
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

    CacheExchange leader = new CacheExchange(scratch, discard, null);
    leader.onNext(roundTrip(request.toByteArray(), ProcessingRequest.parser()::parseFrom));
    List<CacheExchange> followers = new ArrayList<>();
    for (int i = 0; i < FOLLOWERS; i++) {
      CacheExchange follower = new CacheExchange(scratch, discard, null);
      follower.onNext(roundTrip(request.toByteArray(), ProcessingRequest.parser()::parseFrom));
      followers.add(follower);
    }
    for (ProcessingRequest message : new ProcessingRequest[] {response, body}) {
      leader.onNext(roundTrip(message.toByteArray(), ProcessingRequest.parser()::parseFrom));
    }
    leader.onCompleted();
    followers.forEach(CacheExchange::onCompleted); // served when the leader's entry landed
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
