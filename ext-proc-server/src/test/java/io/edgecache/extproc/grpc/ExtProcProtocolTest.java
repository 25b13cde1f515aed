package io.edgecache.extproc.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.BoolValue;
import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.edgecache.extproc.ExtProcServer;
import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.config.ServerConfigLoader;
import io.edgecache.extproc.fields.HttpDates;
import io.edgecache.extproc.testing.ManualClock;
import io.edgecache.proto.policy.v1.RoutePolicy;
import io.edgecache.proto.policy.v1.RoutePolicyMetadata;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption.HeaderAppendAction;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exact ext_proc messages for a miss, a hit and a pass, over a real gRPC stream. */
class ExtProcProtocolTest {

  private static final Instant START = Instant.parse("2026-11-21T12:00:00Z");

  private final ManualClock clock = new ManualClock(START);
  @TempDir Path dir;
  private ExtProcServer server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    server = ExtProcServer.start(
        ServerConfig.defaults().withListen(new InetSocketAddress("127.0.0.1", 0))
            .withAdminListen(new InetSocketAddress("127.0.0.1", 0)), clock);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
  }

  /** Replaces the default node with one configured by {@code yaml}. */
  private void restartWith(String yaml) throws Exception {
    stop();
    ServerConfig config = ServerConfigLoader.load(Files.writeString(dir.resolve("node.yaml"), yaml))
        .withListen(new InetSocketAddress("127.0.0.1", 0)).withAdminListen(null);
    server = ExtProcServer.start(config, clock);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
  }

  @Test
  void missIsRecordedThenServedAsAnImmediateHit() throws Exception {
    Stream miss = new Stream();
    assertEquals(continueRequestHeaders(), miss.send(requestHeaders("GET", "/a")));
    assertEquals(
        responseHeadersAnswer("edgecache; fwd=uri-miss; fwd-status=200; stored; ttl=60",
            BodySendMode.STREAMED),
        miss.send(responseHeaders(200, false, "cache-control", "public, max-age=60",
            "content-length", "5", "content-type", "text/plain")));
    assertEquals(continueResponseBody(), miss.send(body("hel", false)));
    assertEquals(continueResponseBody(), miss.send(body("lo", true)));
    miss.finish();

    clock.advance(Duration.ofSeconds(5));
    Stream hit = new Stream();
    ProcessingResponse answer = hit.send(requestHeaders("GET", "/a"));
    assertEquals(
        ProcessingResponse.newBuilder()
            .setImmediateResponse(ImmediateResponse.newBuilder()
                .setStatus(HttpStatus.newBuilder().setCodeValue(200))
                .setHeaders(HeaderMutation.newBuilder()
                    .addSetHeaders(line("date", HttpDates.format(START), false))
                    .addSetHeaders(line("cache-control", "public, max-age=60", false))
                    .addSetHeaders(line("content-type", "text/plain", false))
                    .addSetHeaders(line("age", "5", false))
                    .addSetHeaders(line("cache-status", "edgecache; hit; ttl=55", false)))
                .setBody(ByteString.copyFromUtf8("hello"))
                .setDetails("edgecache_hit"))
            .build(),
        answer);
    hit.finish();
  }

  /**
   * A leader whose response never comes (a stalled origin, or a stream opened and left silent)
   * gathers followers for one maxWait at most: then the next miss on its key leads a fetch of
   * its own, answered at once, where it would have waited out the whole maxWait behind it.
   */
  @Test
  void aSilentLeaderLeadsItsKeyForOneMaxWaitAtMost() throws Exception {
    Duration maxWait = ServerConfig.defaults().collapsing().maxWait();
    Stream silent = new Stream();
    assertEquals(continueRequestHeaders(), silent.send(requestHeaders("GET", "/stalled")));
    Stream early = new Stream();
    assertTrue(early.send(requestHeaders("GET", "/stalled")).hasOverrideMessageTimeout(),
        "a miss within maxWait follows (its timer is extended while it waits)");

    clock.advance(maxWait);
    Stream late = new Stream();
    assertEquals(continueRequestHeaders(), late.send(requestHeaders("GET", "/stalled")));
    assertEquals(
        responseHeadersAnswer("edgecache; fwd=uri-miss; fwd-status=200; stored; ttl="
            + (60 - maxWait.toSeconds()), BodySendMode.STREAMED), // dated at the start
        late.send(responseHeaders(200, false, "cache-control", "max-age=60")));
    assertEquals(continueResponseBody(), late.send(body("fresh", true)));
    late.finish();
    assertEquals(1, server.node().coalescer().overtakenTotal());

    ProcessingResponse hit = new Stream().send(requestHeaders("GET", "/stalled"));
    assertEquals("fresh", hit.getImmediateResponse().getBody().toStringUtf8());
  }

  /**
   * Responses being recorded share one memory budget, the memory tier's size: a recording that
   * finds it full is dropped and its response passes unrecorded (as an over-size one does, but
   * without hit-for-pass), where many concurrent large misses would each have held the object
   * limit. The budget is free again once the recordings end.
   */
  @Test
  void recordingsInProgressShareOneMemoryBudget() throws Exception {
    restartWith("cache: {l1MaxBytes: 64KiB, maxObjectBytes: 48KiB}\n");
    Stream large = new Stream();
    large.send(requestHeaders("GET", "/large"));
    large.send(responseHeaders(200, false, "cache-control", "max-age=60"));
    assertEquals(continueResponseBody(), large.send(body("a".repeat(40_000), false)));

    Stream second = new Stream();
    second.send(requestHeaders("GET", "/second"));
    second.send(responseHeaders(200, false, "cache-control", "max-age=60"));
    assertEquals(continueResponseBody(), second.send(body("b".repeat(30_000), true)));
    second.finish();
    assertEquals(1, server.node().recordings().refused());
    Stream again = new Stream();
    assertEquals(continueRequestHeaders(), again.send(requestHeaders("GET", "/second")),
        "not stored, and not hit-for-pass either: this request leads a fetch of its own");

    assertEquals(continueResponseBody(), large.send(body("a", true)));
    large.finish();
    assertEquals(0, server.node().recordings().heldBytes());
    ProcessingResponse hit = new Stream().send(requestHeaders("GET", "/large"));
    assertEquals(40_001, hit.getImmediateResponse().getBody().size());
  }

  /**
   * An https request the proxy says came in the clear (x-forwarded-proto: http, as Envoy passes
   * a trusted balancer's header on) goes to the origin uncached: its answer to a plaintext
   * request must not be what TLS clients of the https URL are served.
   */
  @Test
  void anHttpsRequestThatCameInTheClearBypassesTheCache() throws Exception {
    Stream clear = new Stream();
    ProcessingResponse answer = clear.send(ProcessingRequest.newBuilder()
        .setRequestHeaders(HttpHeaders.newBuilder()
            .setHeaders(headerMap(":method", "GET", ":path", "/scheme", ":authority", "example.com",
                ":scheme", "https", "x-forwarded-proto", "http"))
            .setEndOfStream(true))
        .build());
    assertTrue(answer.hasRequestHeaders(), answer.toString());
    String cacheStatus = clear.send(responseHeaders(200, false, "cache-control", "max-age=60"))
        .getResponseHeaders().getResponse().getHeaderMutation().getSetHeaders(0).getHeader()
        .getRawValue().toStringUtf8();
    assertTrue(cacheStatus.contains("fwd=bypass")
        && cacheStatus.contains("detail=https-over-plaintext"), cacheStatus);
  }

  @Test
  void headIsAnsweredWithTheStoredBodyForEnvoyToMeasure() throws Exception {
    store("/h", "hello");
    Stream head = new Stream();
    ImmediateResponse answer = head.send(requestHeaders("HEAD", "/h")).getImmediateResponse();
    assertEquals(ByteString.copyFromUtf8("hello"), answer.getBody());
    assertTrue(answer.getHeaders().getSetHeadersList().stream()
        .noneMatch(option -> option.getHeader().getKey().equals("content-length")));
    head.finish();
  }

  /**
   * Envoy applies header mutations by {@code append} (default false: overwrite) and ignores
   * {@code append_action} ({@code MutationUtils::applyHeaderMutations}); a line with an invalid
   * value fails the whole answer there, so it is dropped here.
   */
  @Test
  void hitRepeatsLinesWithExplicitAppendAndDropsLinesEnvoyRejects() throws Exception {
    Stream miss = new Stream();
    miss.send(requestHeaders("GET", "/links"));
    miss.send(responseHeaders(200, false, "cache-control", "public, max-age=60",
        "link", "</a.css>; rel=preload", "link", "</b.js>; rel=preload",
        "x-bad", "tab\tok\u0001bell", "content-length", "2"));
    miss.send(body("ok", true));
    miss.finish();

    Stream hit = new Stream();
    ImmediateResponse answer = hit.send(requestHeaders("GET", "/links")).getImmediateResponse();
    List<HeaderValueOption> lines = answer.getHeaders().getSetHeadersList();
    assertTrue(lines.contains(line("link", "</a.css>; rel=preload", false)), lines.toString());
    assertTrue(lines.contains(line("link", "</b.js>; rel=preload", true)), lines.toString());
    for (HeaderValueOption option : lines) {
      assertTrue(option.hasAppend(), "append is explicit: " + option);
      assertEquals("", option.getHeader().getValue(), "raw_value only: " + option);
      assertEquals(HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD, option.getAppendAction(),
          "append_action left at its default, which Envoy ignores");
    }
    assertTrue(lines.stream().noneMatch(option -> option.getHeader().getKey().equals("x-bad")));
    hit.finish();
  }

  @Test
  void passTurnsBodyMessagesOff() throws Exception {
    Stream pass = new Stream();
    assertEquals(continueRequestHeaders(), pass.send(requestHeaders("POST", "/form")));
    assertEquals(
        responseHeadersAnswer("edgecache; fwd=method; fwd-status=200; detail=method",
            BodySendMode.NONE),
        pass.send(responseHeaders(200, false, "cache-control", "max-age=60")));
    pass.finish();
  }

  /**
   * A method the cache does not know, as an HTTP/2 client can send it (Envoy's HTTP/1 codec
   * refuses one outside http-parser's list, its HTTP/2 codec does not): its success invalidates
   * the stored response (RFC 9111 §4.4), as an unsafe method's does.
   */
  @Test
  void aSuccessfulUnknownMethodInvalidatesTheStoredResponse() throws Exception {
    store("/unknown-method", "kept?");
    Stream before = new Stream();
    assertTrue(before.send(requestHeaders("GET", "/unknown-method")).hasImmediateResponse(),
        "stored, so served from the cache");
    before.finish();
    Stream unknown = new Stream();
    unknown.send(requestHeaders("FROBNICATE", "/unknown-method"));
    unknown.send(responseHeaders(200, false, "content-length", "0"));
    unknown.finish();

    Stream after = new Stream();
    assertEquals(continueRequestHeaders(), after.send(requestHeaders("GET", "/unknown-method")),
        "the stored response is gone, so the request goes to the origin");
    after.finish();
  }

  @Test
  void notStorableResponseIsForwardedWithItsReason() throws Exception {
    Stream stream = new Stream();
    stream.send(requestHeaders("GET", "/private"));
    assertEquals(
        responseHeadersAnswer("edgecache; fwd=uri-miss; fwd-status=200; detail=private",
            BodySendMode.NONE),
        stream.send(responseHeaders(200, false, "cache-control", "private, max-age=60")));
    stream.finish();
  }

  @Test
  void bodyLargerThanTheObjectLimitIsNotRecorded() throws Exception {
    Stream stream = new Stream();
    stream.send(requestHeaders("GET", "/big"));
    long tooBig = ServerConfig.defaults().maxObjectBytes() + 1;
    assertEquals(
        responseHeadersAnswer("edgecache; fwd=uri-miss; fwd-status=200; detail=too-large",
            BodySendMode.NONE),
        stream.send(responseHeaders(200, false, "cache-control", "max-age=60",
            "content-length", Long.toString(tooBig))));
    stream.finish();
  }

  @Test
  void malformedMessagesAreRejectedWithWhatWasWrong() throws Exception {
    assertRejected(ProcessingRequest.getDefaultInstance(), "carries none of request_headers");
    assertRejected(ProcessingRequest.newBuilder()
            .setRequestHeaders(HttpHeaders.newBuilder().setHeaders(headerMap(
                ":method", "GET", ":authority", "example.com", ":scheme", "http")))
            .build(),
        "request_headers: missing :path pseudo-header");
    assertRejected(body("x", true), "response_body: arrived before response_headers");
    assertRejected(responseHeaders(200, true), "response_headers: arrived before request_headers");

    Stream badStatus = new Stream();
    badStatus.send(requestHeaders("GET", "/s"));
    Status status = badStatus.sendExpectingError(responseHeaders(0, true));
    assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode());
    assertEquals("response_headers: :status '0' is not a status code 100-599",
        status.getDescription());
  }

  @Test
  void aPolicyPushedInStreamMetadataGovernsTheRoute() throws Exception {
    Metadata pushed = pushedPolicy(RoutePolicy.newBuilder().setPolicyId("site/static")
        .setMode(RoutePolicy.Mode.CACHE_EVERYTHING)
        .setDefaultTtl(com.google.protobuf.Duration.newBuilder().setSeconds(300)));
    Stream stream = new Stream(MetadataUtils.newAttachHeadersInterceptor(pushed));
    stream.send(requestHeaders("GET", "/app.js"));
    assertEquals(
        responseHeadersAnswer("edgecache; fwd=uri-miss; fwd-status=200; stored; ttl=300",
            BodySendMode.STREAMED),
        stream.send(responseHeaders(200, false, "cache-control", "max-age=5")));
    stream.finish();
  }

  /** /stats shows the policy the control plane pushed, next to the node's own routes, and which wins. */
  @Test
  void statsShowThePushedPolicyAndThePrecedence() throws Exception {
    Metadata pushed = pushedPolicy(RoutePolicy.newBuilder().setPolicyId("site/static")
        .setMode(RoutePolicy.Mode.CACHE_EVERYTHING)
        .setDefaultTtl(com.google.protobuf.Duration.newBuilder().setSeconds(300)).setStoreCookieResponses(true));
    Stream stream = new Stream(MetadataUtils.newAttachHeadersInterceptor(pushed));
    stream.send(requestHeaders("GET", "/app.js"));
    stream.send(responseHeaders(200, false, "cache-control", "max-age=5"));
    stream.finish();

    String stats = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + server.adminPort() + "/stats"))
            .timeout(Duration.ofSeconds(10)).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString()).body().replaceAll("\\s+", "");
    assertTrue(stats.contains("\"controlPlane\":[{\"id\":\"site/static\",\"version\":\"0a1b2c3d\","
        + "\"mode\":\"cache-everything\",\"defaultTtl\":\"PT5M\",\"maxTtl\":\"unset\""), stats);
    assertTrue(stats.contains("\"nodeRoutes\":[]"), stats);
    // a defence the control plane sent is shown; one it did not send is "unset" (the node's route decides)
    assertTrue(stats.contains("\"cacheEverythingWithCredentials\":\"unset\",\"storeResponsesToCookieRequests\":true,"
        + "\"stripHeaders\":\"unset\",\"forwardExcludedQuery\":\"unset\""), stats);
    assertTrue(stats.contains("overridesitsmode,defaultTtl,maxTtl,shareResponsesWithSetCookie,"
        + "cacheEverythingWithCredentials,storeResponsesToCookieRequests,stripHeaders,forwardExcludedQuery"), stats);
  }

  /** {@code policy} in stream metadata as Envoy delivers what the control plane pushes. */
  private static Metadata pushedPolicy(RoutePolicy.Builder policy) {
    Metadata pushed = new Metadata();
    pushed.put(Metadata.Key.of(RoutePolicyMetadata.IDENTITY_KEY, Metadata.ASCII_STRING_MARSHALLER),
        policy.getPolicyId() + "@0a1b2c3d");
    pushed.put(Metadata.Key.of(RoutePolicyMetadata.POLICY_KEY, Metadata.BINARY_BYTE_MARSHALLER),
        RoutePolicyMetadata.configValue(policy.build()).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    return pushed;
  }

  @Test
  void healthCheckReportsServing() {
    assertEquals(ServingStatus.SERVING,
        HealthGrpc.newBlockingStub(channel)
            .check(HealthCheckRequest.newBuilder()
                .setService(ExternalProcessorGrpc.SERVICE_NAME).build())
            .getStatus());
  }

  /**
   * A reply Envoy made itself (here a route's direct_response, which says it may be cached) is
   * told apart by the response.code_details attribute and never stored: the origin never saw
   * the request, and the next request for the key goes to it.
   */
  @Test
  void aReplyEnvoyMadeItselfIsNeverStored() throws Exception {
    Stream first = new Stream();
    assertEquals(responseHeadersAnswer("edgecache; fwd=uri-miss; fwd-status=200; detail=envoy-reply",
            BodySendMode.NONE),
        missAnsweredWith(first, "/direct", "direct_response", "cache-control", "public, max-age=60",
            "content-length", "2"));
    first.finish();

    Stream next = new Stream();
    assertEquals(continueRequestHeaders(), next.send(requestHeaders("GET", "/direct")));
    next.finish();
  }

  /** The origin's response, which Envoy marks via_upstream, is stored as ever. */
  @Test
  void aResponseViaUpstreamIsStored() throws Exception {
    Stream miss = new Stream();
    assertEquals(responseHeadersAnswer("edgecache; fwd=uri-miss; fwd-status=200; stored; ttl=60",
            BodySendMode.STREAMED),
        missAnsweredWith(miss, "/via", "via_upstream", "cache-control", "public, max-age=60"));
    miss.send(body("ok", true));
    miss.finish();

    Stream hit = new Stream();
    assertTrue(hit.send(requestHeaders("GET", "/via")).hasImmediateResponse());
    hit.finish();
  }

  /** Envoy's own 503 for an unreachable origin still lets a stale copy answer (stale-if-error). */
  @Test
  void envoysOwn503IsStillAnsweredFromAStaleCopy() throws Exception {
    Stream miss = new Stream();
    miss.send(requestHeaders("GET", "/down"));
    miss.send(responseHeaders(200, false, "cache-control", "max-age=10, stale-if-error=60"));
    miss.send(body("old", true));
    miss.finish();
    clock.advance(Duration.ofSeconds(20));

    Stream stale = new Stream();
    assertEquals(continueRequestHeaders(), stale.send(requestHeaders("GET", "/down")));
    ProcessingResponse answer = stale.send(withCodeDetails(responseHeaders(503, true),
        "upstream_reset_before_response_started{remote_connection_failure}"));
    assertEquals("old", answer.getImmediateResponse().getBody().toStringUtf8(), answer.toString());
    assertTrue(answer.toString().contains("detail=stale-if-error"), answer.toString());
    stale.finish();
  }

  /**
   * Sends a GET for {@code path} on {@code stream}, then a 200 with {@code headers} marked with
   * {@code codeDetails}; returns the node's answer to the response headers.
   */
  private static ProcessingResponse missAnsweredWith(Stream stream, String path, String codeDetails,
      String... headers) throws InterruptedException {
    stream.send(requestHeaders("GET", path));
    return stream.send(withCodeDetails(responseHeaders(200, false, headers), codeDetails));
  }

  /** {@code message} with the response.code_details attribute Envoy adds when asked to. */
  private static ProcessingRequest withCodeDetails(ProcessingRequest message, String details) {
    return message.toBuilder().putAttributes("envoy.filters.http.ext_proc", Struct.newBuilder()
        .putFields("response.code_details", Value.newBuilder().setStringValue(details).build())
        .build()).build();
  }

  private void assertRejected(ProcessingRequest message, String expected) throws Exception {
    Status status = new Stream().sendExpectingError(message);
    assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode());
    assertTrue(status.getDescription().contains(expected), status.getDescription());
  }

  private void store(String path, String body) throws Exception {
    Stream miss = new Stream();
    miss.send(requestHeaders("GET", path));
    miss.send(responseHeaders(200, false, "cache-control", "max-age=60"));
    miss.send(body(body, true));
    miss.finish();
  }

  /** One ext_proc stream driven the way Envoy drives it: a message, then its answer. */
  private final class Stream {
    private final BlockingQueue<Object> received = new LinkedBlockingQueue<>();
    private final StreamObserver<ProcessingRequest> requests;

    Stream(ClientInterceptor... interceptors) {
      requests = ExternalProcessorGrpc.newStub(channel).withInterceptors(interceptors)
          .process(new StreamObserver<>() {
        @Override
        public void onNext(ProcessingResponse value) {
          received.add(value);
        }

        @Override
        public void onError(Throwable t) {
          received.add(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
          received.add("completed");
        }
      });
    }

    ProcessingResponse send(ProcessingRequest message) throws InterruptedException {
      requests.onNext(message);
      Object answer = received.poll(10, TimeUnit.SECONDS);
      if (!(answer instanceof ProcessingResponse response)) {
        throw new AssertionError("expected a ProcessingResponse, got " + answer);
      }
      return response;
    }

    Status sendExpectingError(ProcessingRequest message) throws InterruptedException {
      requests.onNext(message);
      Object answer = received.poll(10, TimeUnit.SECONDS);
      if (!(answer instanceof Status status)) {
        throw new AssertionError("expected the stream to fail, got " + answer);
      }
      return status;
    }

    void finish() throws InterruptedException {
      requests.onCompleted();
      assertEquals("completed", received.poll(10, TimeUnit.SECONDS));
    }
  }

  private static ProcessingRequest requestHeaders(String method, String path) {
    return ProcessingRequest.newBuilder()
        .setRequestHeaders(HttpHeaders.newBuilder()
            .setHeaders(headerMap(":method", method, ":path", path, ":authority", "example.com",
                ":scheme", "http", "user-agent", "test"))
            .setEndOfStream(true))
        .build();
  }

  private static ProcessingRequest responseHeaders(int status, boolean endOfStream,
      String... nameValues) {
    String[] all = new String[nameValues.length + 4];
    all[0] = ":status";
    all[1] = Integer.toString(status);
    all[2] = "date";
    all[3] = HttpDates.format(START);
    System.arraycopy(nameValues, 0, all, 4, nameValues.length);
    return ProcessingRequest.newBuilder()
        .setResponseHeaders(HttpHeaders.newBuilder()
            .setHeaders(headerMap(all)).setEndOfStream(endOfStream))
        .build();
  }

  private static ProcessingRequest body(String text, boolean endOfStream) {
    return ProcessingRequest.newBuilder()
        .setResponseBody(HttpBody.newBuilder()
            .setBody(ByteString.copyFromUtf8(text)).setEndOfStream(endOfStream))
        .build();
  }

  private static HeaderMap headerMap(String... nameValues) {
    return Warmup.headers(nameValues);
  }

  private static ProcessingResponse continueRequestHeaders() {
    return ProcessingResponse.newBuilder()
        .setRequestHeaders(HeadersResponse.getDefaultInstance()).build();
  }

  private static ProcessingResponse continueResponseBody() {
    return ProcessingResponse.newBuilder()
        .setResponseBody(BodyResponse.getDefaultInstance()).build();
  }

  private static ProcessingResponse responseHeadersAnswer(String cacheStatus,
      BodySendMode bodyMode) {
    return ProcessingResponse.newBuilder()
        .setResponseHeaders(HeadersResponse.newBuilder().setResponse(
            CommonResponse.newBuilder().setHeaderMutation(HeaderMutation.newBuilder()
                .addSetHeaders(line("cache-status", cacheStatus, false)))))
        .setModeOverride(ProcessingMode.newBuilder()
            .setRequestHeaderMode(HeaderSendMode.SEND)
            .setResponseHeaderMode(HeaderSendMode.SEND)
            .setRequestBodyMode(BodySendMode.NONE)
            .setResponseBodyMode(bodyMode)
            .setRequestTrailerMode(HeaderSendMode.SKIP)
            .setResponseTrailerMode(HeaderSendMode.SKIP))
        .build();
  }

  private static HeaderValueOption line(String name, String value, boolean append) {
    return HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(name)
            .setRawValue(ByteString.copyFromUtf8(value)))
        .setAppend(BoolValue.of(append))
        .build();
  }
}
