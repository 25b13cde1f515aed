package io.edgecache.bench.extproc;

import com.google.protobuf.ByteString;
import io.edgecache.extproc.fields.HttpDates;
import io.edgecache.extproc.grpc.Warmup;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One kind of HTTP request as Envoy's ext_proc filter presents it: the messages it sends and
 * how the exchange should end. Messages that do not change per request are built once, so the
 * driver spends its CPU on the protocol, not on building protobufs.
 */
public final class Scenario {

  /** How a request of each kind should be answered. */
  public enum Kind {
    /** A GET for a stored key: answered with {@code immediate_response} at request headers. */
    HIT,
    /** A GET for a key never seen: continued, response stored from the streamed body. */
    MISS,
    /** A POST: continued, response not stored, no body messages. */
    PASS;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Envoy hands the body over as it reads it from the origin: in chunks of up to 16 KiB. */
  static final int CHUNK_BYTES = 16 * 1024;

  private static final String AUTHORITY = "bench.edgecache.test";

  private final Kind kind;
  private final int bodyBytes;
  private final String pathPrefix;
  private final AtomicLong sequence = new AtomicLong();
  private final ProcessingRequest fixedRequestHeaders;
  private final ProcessingRequest responseHeaders;
  private final List<ProcessingRequest> bodyChunks;

  public Scenario(Kind kind, int bodyBytes) {
    this.kind = kind;
    this.bodyBytes = bodyBytes;
    // A fresh prefix per scenario object: a miss run never finds keys an earlier run stored.
    this.pathPrefix = "/bench/" + kind.label() + "/" + bodyBytes + "/" + System.nanoTime();
    this.fixedRequestHeaders = requestHeaders(pathPrefix);
    this.responseHeaders = ProcessingRequest.newBuilder()
        .setResponseHeaders(HttpHeaders.newBuilder().setHeaders(Warmup.headers(
            withRouterLine(originResponseHeaders(bodyBytes)))))
        .build();
    this.bodyChunks = chunks(bodyBytes);
  }

  public Kind kind() {
    return kind;
  }

  public int bodyBytes() {
    return bodyBytes;
  }

  public String label() {
    return kind.label() + " " + (bodyBytes % 1024 == 0 ? bodyBytes / 1024 + " KiB"
        : bodyBytes + " B");
  }

  /** Whether the exchange should end in an immediate response (else it is forwarded). */
  boolean expectsImmediateResponse() {
    return kind == Kind.HIT;
  }

  /** The path every request of a hit or pass scenario asks for. */
  String path() {
    return pathPrefix;
  }

  /** The request_headers message of the next request; a miss gets a key never used before. */
  ProcessingRequest nextRequestHeaders() {
    return kind == Kind.MISS ? requestHeaders(pathPrefix + "/" + sequence.incrementAndGet())
        : fixedRequestHeaders;
  }

  ProcessingRequest responseHeaders() {
    return responseHeaders;
  }

  List<ProcessingRequest> bodyChunks() {
    return bodyChunks;
  }

  /**
   * The header fields an origin answers with (a static-file server's usual set), as name,
   * value pairs; a cache hit replays them.
   */
  static String[] originResponseHeaders(int bodyBytes) {
    Instant now = Instant.now();
    return new String[] {
        ":status", "200",
        "server", "bench-origin",
        "date", HttpDates.format(now),
        "content-type", "application/octet-stream",
        "content-length", Integer.toString(bodyBytes),
        "last-modified", HttpDates.format(now.minusSeconds(86_400)),
        "etag", "\"bench-" + bodyBytes + "\"",
        "cache-control", "public, max-age=3600",
        "accept-ranges", "bytes"};
  }

  /**
   * {@code origin}'s fields as the processor gets them behind Envoy: its router has added
   * x-envoy-upstream-service-time (router.cc, onUpstreamHeaders). A hit never replays it.
   */
  private static String[] withRouterLine(String[] origin) {
    String[] delivered = Arrays.copyOf(origin, origin.length + 2);
    delivered[origin.length] = "x-envoy-upstream-service-time";
    delivered[origin.length + 1] = "3";
    return delivered;
  }

  static ByteString body(int bodyBytes) {
    byte[] bytes = new byte[bodyBytes];
    Arrays.fill(bytes, (byte) 'x');
    return ByteString.copyFrom(bytes);
  }

  /** The request headers Envoy forwards for a plain browser-like request. */
  private ProcessingRequest requestHeaders(String path) {
    return ProcessingRequest.newBuilder()
        .setRequestHeaders(HttpHeaders.newBuilder()
            .setEndOfStream(kind != Kind.PASS)
            .setHeaders(Warmup.headers(
                ":authority", AUTHORITY,
                ":path", path,
                ":method", kind == Kind.PASS ? "POST" : "GET",
                ":scheme", "http",
                "user-agent", "edgecache-bench/1",
                "accept", "*/*",
                "x-forwarded-proto", "http",
                "x-request-id", "5f1c2d3e-0000-4000-8000-000000000000")))
        .build();
  }

  private static List<ProcessingRequest> chunks(int bodyBytes) {
    ByteString body = body(bodyBytes);
    List<ProcessingRequest> chunks = new ArrayList<>();
    for (int offset = 0; offset < bodyBytes; offset += CHUNK_BYTES) {
      int end = Math.min(bodyBytes, offset + CHUNK_BYTES);
      chunks.add(ProcessingRequest.newBuilder()
          .setResponseBody(HttpBody.newBuilder()
              .setBody(body.substring(offset, end))
              .setEndOfStream(end == bodyBytes))
          .build());
    }
    return List.copyOf(chunks);
  }
}
