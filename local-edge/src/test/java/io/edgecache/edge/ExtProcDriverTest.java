package io.edgecache.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.BoolValue;
import com.google.protobuf.util.Durations;
import com.sun.net.httpserver.HttpExchange;
import io.edgecache.config.ConfigException;
import io.edgecache.edge.config.EnvoyBootstrapLoader;
import io.edgecache.edge.config.LocalEdgeConfig;
import io.edgecache.edge.config.RouteConfig;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption.HeaderAppendAction;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Drives local-edge with a real scripted ext_proc server, a real origin and a real client. */
@Timeout(30)
class ExtProcDriverTest {
  private static ExternalProcessor envoyFilter;

  private ScriptedExtProcServer processor;
  private TestOrigin origin;
  private LocalEdge edge;
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void setUp() throws Exception {
    if (envoyFilter == null) {
      envoyFilter = EnvoyBootstrapLoader.loadExternalProcessor(RepoFiles.envoyYaml());
    }
    processor = new ScriptedExtProcServer();
    origin = new TestOrigin();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (edge != null) {
      edge.close();
    }
    processor.close();
    origin.close();
  }

  /**
   * The message timeout of tests that are not about the timer. Generous: on a cold JVM the
   * first exchange connects, negotiates HTTP/2 and loads classes on both sides, which took over
   * 2 s on a loaded two-core machine. Tests of the timer set their own.
   */
  private static final com.google.protobuf.Duration PATIENT_TIMEOUT = Durations.fromSeconds(10);
  /** Bounds every client request, above the message timeouts the edge may wait out. */
  private static final java.time.Duration REQUEST_TIMEOUT = java.time.Duration.ofSeconds(20);

  /**
   * Starts an edge with envoy.yaml's filter, failure_mode_allow off and a patient message
   * timeout, then {@code tweak}; without local-edge's warm-up, whose streams would reach the
   * processor's record.
   */
  private void startEdge(UnaryOperator<ExternalProcessor.Builder> tweak) throws Exception {
    startEdge(tweak, processor.port(), false);
  }

  private void startEdge(UnaryOperator<ExternalProcessor.Builder> tweak, int processorPort) throws Exception {
    startEdge(tweak, processorPort, false);
  }

  /**
   * Starts the edge as {@link #startEdge(UnaryOperator)} does, but warmed up as local-edge is by
   * default, so the first request's messages are not late because the path is cold. The
   * warm-up's streams reach the processor: only for tests that do not inspect what it received.
   */
  private void startWarmEdge(UnaryOperator<ExternalProcessor.Builder> tweak) throws Exception {
    startEdge(tweak, processor.port(), true);
  }

  private void startEdge(UnaryOperator<ExternalProcessor.Builder> tweak, int processorPort,
      boolean warmUp) throws Exception {
    ExternalProcessor filter = tweak.apply(envoyFilter.toBuilder()
        .setFailureModeAllow(false)
        .setMessageTimeout(PATIENT_TIMEOUT)).build();
    edge = LocalEdge.start(LocalEdgeConfig.builder()
        .warmUpProcessor(warmUp)
        .listen("127.0.0.1", 0)
        .externalProcessor(filter)
        .extProcTarget("127.0.0.1", processorPort)
        .route(RouteConfig.of("*", "/", origin.url()))
        .build());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + path))
            .timeout(REQUEST_TIMEOUT).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HeaderValueOption setHeader(String name, String value, HeaderAppendAction action) {
    return HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(name).setRawValue(ByteString.copyFromUtf8(value)))
        .setAppendAction(action)
        .build();
  }

  private static HeaderValueOption line(String name, String value, boolean append) {
    return HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder().setKey(name).setRawValue(ByteString.copyFromUtf8(value)))
        .setAppend(BoolValue.of(append))
        .build();
  }

  private static Map<String, String> headerMap(ProcessingRequest request) {
    Map<String, String> headers = new HashMap<>();
    var map = request.hasRequestHeaders() ? request.getRequestHeaders().getHeaders()
        : request.getResponseHeaders().getHeaders();
    for (HeaderValue header : map.getHeadersList()) {
      assertEquals("", header.getValue(), "values travel in raw_value");
      headers.put(header.getKey(), header.getRawValue().toStringUtf8());
    }
    return headers;
  }

  /**
   * envoy/envoy.yaml sets use_remote_address and trusts no hop: a client's own
   * x-forwarded-proto is overwritten, and its x-forwarded-for gets the peer appended
   * (ConnectionManagerUtility::mutateRequestHeaders), before the filter sees the request.
   */
  @Test
  void forwardingHeadersFromTheClientAreOverwrittenOrAppendedTo() throws Exception {
    Map<String, String> sent = headersTheProcessorGets("/forwarded",
        "X-Forwarded-Proto", "https", "X-Forwarded-For", "203.0.113.9");
    assertEquals("http", sent.get("x-forwarded-proto"));
    assertEquals("203.0.113.9,127.0.0.1", sent.get("x-forwarded-for"));
  }

  /** The request headers the processor gets for a GET of {@code path} carrying {@code nameValues}. */
  private Map<String, String> headersTheProcessorGets(String path, String... nameValues)
      throws Exception {
    startEdge(b -> b);
    origin.handler(exchange -> TestOrigin.respond(exchange, 200, "ok"));
    HttpResponse<String> response = client.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + edge.port() + path)).headers(nameValues)
        .timeout(java.time.Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode());
    return headerMap(processor.next());
  }

  /**
   * An edge request (use_remote_address, no internal addresses configured) loses what only Envoy
   * may set before any filter sees it (ConnectionManagerUtility::mutateRequestHeaders and
   * cleanInternalHeaders): a client cannot hand the processor or the origin its own request id,
   * retry policy, original URL or client certificate, and is named in x-envoy-external-address.
   */
  @Test
  void anEdgeRequestLosesWhatOnlyEnvoyMaySet() throws Exception {
    Map<String, String> sent = headersTheProcessorGets("/edge",
        "X-Request-Id", "chosen-by-the-client", "X-Envoy-Retry-On", "5xx",
        "X-Envoy-Original-Url", "http://victim.example/admin", "X-Envoy-Internal", "true",
        "X-Forwarded-Client-Cert", "By=spiffe://a/b", "Referer", "/relative-only");
    assertNotEquals("chosen-by-the-client", sent.get("x-request-id"));
    assertTrue(sent.get("x-request-id").matches("[0-9a-f-]{36}"), sent.get("x-request-id"));
    for (String removed : List.of("x-envoy-retry-on", "x-envoy-original-url", "x-envoy-internal",
        "x-forwarded-client-cert", "referer")) {
      assertFalse(sent.containsKey(removed), removed + " reached the processor: " + sent);
    }
    assertEquals("127.0.0.1", sent.get("x-envoy-external-address"));
  }

  /**
   * Envoy applies a line by its deprecated {@code append} field, default false, and ignores
   * {@code append_action}; it reads only {@code raw_value}, so a value-only line sets an empty
   * header (source/extensions/filters/http/ext_proc/mutation_utils.cc,
   * MutationUtils::applyHeaderMutations).
   */
  @Test
  void headerMutationsFollowAppendAndIgnoreAppendAction() throws Exception {
    startEdge(b -> b);
    processor.script((request, out) -> {
      HeaderMutation.Builder mutation = HeaderMutation.newBuilder();
      if (request.hasRequestHeaders()) {
        mutation.addSetHeaders(line("x-added", "yes", false))
            .addSetHeaders(line("x-multi", "two", true))
            .addSetHeaders(setHeader("x-action-append", "replaced", HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD))
            .addSetHeaders(setHeader("x-absent", "overwritten", HeaderAppendAction.ADD_IF_ABSENT))
            .addSetHeaders(HeaderValueOption.newBuilder()
                .setHeader(HeaderValue.newBuilder().setKey("x-legacy").setValue("plain"))
                .setAppend(BoolValue.of(false)))
            .addSetHeaders(line(":path", "/rewritten", false))
            .addRemoveHeaders("x-remove-me");
        out.onNext(ProcessingResponse.newBuilder().setRequestHeaders(HeadersResponse.newBuilder()
            .setResponse(CommonResponse.newBuilder().setHeaderMutation(mutation))).build());
      } else if (request.hasResponseHeaders()) {
        mutation.addSetHeaders(line("x-from-processor", "resp", false))
            .addRemoveHeaders("x-origin-secret");
        out.onNext(ProcessingResponse.newBuilder().setResponseHeaders(HeadersResponse.newBuilder()
            .setResponse(CommonResponse.newBuilder().setHeaderMutation(mutation))).build());
      } else {
        out.onNext(ScriptedExtProcServer.continueAnswer(request));
      }
    });
    origin.handler(exchange -> {
      exchange.getResponseHeaders().set("X-Origin-Secret", "s3cret");
      TestOrigin.respond(exchange, 200, "ok");
    });

    HttpResponse<String> response = client.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + edge.port() + "/original?q=1"))
        .header("X-Multi", "one").header("X-Action-Append", "original").header("X-Absent", "present")
        .header("X-Remove-Me", "bye").timeout(java.time.Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());

    assertEquals(200, response.statusCode());
    assertEquals("ok", response.body());
    assertEquals("resp", response.headers().firstValue("x-from-processor").orElse(null));
    assertTrue(response.headers().firstValue("x-origin-secret").isEmpty());

    Map<String, String> sent = headerMap(processor.next());
    assertEquals("GET", sent.get(":method"));
    assertEquals("/original?q=1", sent.get(":path"));
    assertEquals("127.0.0.1:" + edge.port(), sent.get(":authority"));
    assertEquals("http", sent.get(":scheme"));
    assertEquals("http", sent.get("x-forwarded-proto"));
    assertTrue(sent.containsKey("x-request-id"));
    assertFalse(sent.containsKey("host"));

    HttpExchange atOrigin = origin.next();
    assertEquals("/rewritten", atOrigin.getRequestURI().toString());
    assertEquals("yes", atOrigin.getRequestHeaders().getFirst("x-added"));
    assertEquals(java.util.List.of("one", "two"), atOrigin.getRequestHeaders().get("x-multi"));
    assertEquals(java.util.List.of("replaced"), atOrigin.getRequestHeaders().get("x-action-append"));
    assertEquals("overwritten", atOrigin.getRequestHeaders().getFirst("x-absent"));
    assertEquals("", atOrigin.getRequestHeaders().getFirst("x-legacy"));
    assertNull(atOrigin.getRequestHeaders().getFirst("x-remove-me"));
  }

  @Test
  void immediateResponseAtRequestHeadersNeverReachesOrigin() throws Exception {
    startEdge(b -> b);
    processor.script((request, out) -> out.onNext(ProcessingResponse.newBuilder()
        .setImmediateResponse(ImmediateResponse.newBuilder()
            .setStatus(HttpStatus.newBuilder().setCodeValue(403))
            .setHeaders(HeaderMutation.newBuilder()
                .addSetHeaders(setHeader("x-cache", "blocked", HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD)))
            .setBody(ByteString.copyFromUtf8("denied")))
        .build()));

    HttpResponse<String> response = get("/secret");

    assertEquals(403, response.statusCode());
    assertEquals("denied", response.body());
    assertEquals("blocked", response.headers().firstValue("x-cache").orElse(null));
    assertEquals("6", response.headers().firstValue("content-length").orElse(null));
    assertTrue(origin.received.isEmpty());
  }

  /**
   * Filter::onReceiveMessage takes an immediate response whatever the filter awaits: one sent
   * while the request is at the origin (nothing awaited) replaces the response, and the
   * origin's request is dropped.
   */
  @Test
  void anImmediateResponseWhileNothingIsAwaitedReplacesTheResponse() throws Exception {
    CountDownLatch released = new CountDownLatch(1);
    origin.handler(exchange -> {
      try {
        released.await(REQUEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      TestOrigin.respond(exchange, 200, "too late");
    });
    processor.script((request, out) -> {
      out.onNext(ScriptedExtProcServer.continueAnswer(request));
      if (request.hasRequestHeaders()) {
        CompletableFuture.runAsync(() -> {
          try {
            origin.next(); // the request is at the origin: the filter awaits nothing now
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          out.onNext(ProcessingResponse.newBuilder().setImmediateResponse(ImmediateResponse
              .newBuilder().setStatus(HttpStatus.newBuilder().setCodeValue(429))
              .setBody(ByteString.copyFromUtf8("slow down"))).build());
        });
      }
    });
    startEdge(b -> b);

    try {
      HttpResponse<String> response = get("/interrupted");
      assertEquals(429, response.statusCode());
      assertEquals("slow down", response.body());
    } finally {
      released.countDown();
    }
  }

  /**
   * An answer the filter does not await is spurious. Since Envoy 1.35 it follows
   * failure_mode_allow (Filter::onReceiveMessage, runtime guard ext_proc_fail_close_spurious_resp,
   * on by default): without it, handleErrorResponse closes the stream and answers status_on_error,
   * and the origin is never asked.
   */
  @Test
  void aSpuriousAnswerWithoutFailureModeAllowIsTheStatusOnErrorReply() throws Exception {
    HttpResponse<String> response = getAnsweredSpuriously(false);

    assertEquals(500, response.statusCode());
    assertEquals("", response.body());
    assertTrue(origin.received.isEmpty());
    assertSpuriousAnswerCounted(0);
  }

  /** With failure_mode_allow a spurious answer is a fail-open: the request goes on without the processor. */
  @Test
  void aSpuriousAnswerWithFailureModeAllowGoesOnWithoutTheProcessorAndCountsAsFailingOpen() throws Exception {
    HttpResponse<String> response = getAnsweredSpuriously(true);

    assertEquals(200, response.statusCode());
    assertEquals("hello from origin", response.body());
    assertSpuriousAnswerCounted(1);
  }

  /** A GET whose request headers the processor answers with a response_headers answer. */
  private HttpResponse<String> getAnsweredSpuriously(boolean failureModeAllow) throws Exception {
    processor.script((request, out) -> out.onNext(ProcessingResponse.newBuilder()
        .setResponseHeaders(HeadersResponse.getDefaultInstance()).build()));
    startEdge(b -> b.setFailureModeAllow(failureModeAllow));
    return get("/spurious");
  }

  private void assertSpuriousAnswerCounted(long failureModeAllowed) {
    assertEquals(1, edge.processorStats().spuriousMsgsReceived());
    assertEquals(failureModeAllowed, edge.processorStats().failureModeAllowed());
    assertEquals(1, edge.processorStats().streamsClosed());
    assertEquals(1, processor.received.size(), "no message after the spurious answer");
  }

  @Test
  void modeOverrideHonoredWhenAllowed() throws Exception {
    List<ProcessingRequest> received = messagesWithResponseHeadersSkipped(true);
    assertEquals(1, received.size(), received.toString());
  }

  @Test
  void modeOverrideIgnoredWhenNotAllowed() throws Exception {
    // Without the override: request headers, response headers, then the body in STREAMED
    // messages (one, or more when the origin's body came after the headers were answered).
    List<ProcessingRequest> received = messagesWithResponseHeadersSkipped(false);
    assertTrue(received.size() >= 3, received.toString());
    assertTrue(received.get(0).hasRequestHeaders() && received.get(1).hasResponseHeaders(),
        received.toString());
    List<ProcessingRequest> body = received.subList(2, received.size());
    assertTrue(body.stream().allMatch(ProcessingRequest::hasResponseBody), received.toString());
    assertTrue(body.get(body.size() - 1).getResponseBody().getEndOfStream(), received.toString());
  }

  /** Answers request headers with a mode_override that skips everything in the response. */
  private List<ProcessingRequest> messagesWithResponseHeadersSkipped(boolean allow) throws Exception {
    startEdge(b -> b.setAllowModeOverride(allow).setProcessingMode(responseBodyStreamed()));
    processor.script((request, out) -> {
      ProcessingResponse.Builder answer = ScriptedExtProcServer.continueAnswer(request).toBuilder();
      if (request.hasRequestHeaders()) {
        answer.setModeOverride(ProcessingMode.newBuilder()
            .setResponseHeaderMode(ProcessingMode.HeaderSendMode.SKIP));
      }
      out.onNext(answer.build());
    });
    HttpResponse<String> response = get("/");
    assertEquals(200, response.statusCode());
    assertEquals("hello from origin", response.body());
    // Every message is answered before the response completes, so the list is final.
    return List.copyOf(processor.received);
  }

  private static ProcessingMode responseBodyStreamed() {
    return envoyFilter.getProcessingMode().toBuilder().setResponseBodyMode(BodySendMode.STREAMED).build();
  }

  /**
   * With the response body STREAMED the filter drops Content-Length from the response headers;
   * when they end the stream (an empty body), Envoy's codec writes content-length: 0, so the
   * client is not left reading to the connection's close.
   */
  @Test
  void anEmptyResponseWhoseLengthTheFilterDroppedIsSentWithContentLengthZero() throws Exception {
    startEdge(b -> b.setProcessingMode(responseBodyStreamed()));
    origin.handler(exchange -> {
      exchange.sendResponseHeaders(200, -1); // Content-length: 0, no body
      exchange.close();
    });

    HttpResponse<String> response = get("/empty");

    assertEquals(200, response.statusCode());
    assertEquals("", response.body());
    assertEquals("0", response.headers().firstValue("content-length").orElse(null));
  }

  @Test
  void streamedResponseChunksAnsweredOneByOneWithMutation() throws Exception {
    startEdge(b -> b.setProcessingMode(responseBodyStreamed()));
    CountDownLatch secondChunkMayGo = new CountDownLatch(1);
    origin.handler(exchange -> {
      exchange.sendResponseHeaders(200, 0);
      OutputStream body = exchange.getResponseBody();
      body.write("first-".getBytes());
      body.flush();
      try {
        // The second chunk is written only after the first one was answered, so it is its own message.
        secondChunkMayGo.await(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      body.write("second".getBytes());
      body.flush();
    });
    processor.script((request, out) -> {
      if (request.hasResponseBody()) {
        String chunk = request.getResponseBody().getBody().toStringUtf8();
        out.onNext(ProcessingResponse.newBuilder().setResponseBody(BodyResponse.newBuilder()
            .setResponse(CommonResponse.newBuilder().setBodyMutation(BodyMutation.newBuilder()
                .setBody(ByteString.copyFromUtf8(chunk.toUpperCase(Locale.ROOT)))))).build());
        secondChunkMayGo.countDown();
      } else {
        out.onNext(ScriptedExtProcServer.continueAnswer(request));
      }
    });

    HttpResponse<String> response = get("/stream");

    assertEquals(200, response.statusCode());
    assertEquals("FIRST-SECOND", response.body());
    long bodyMessages = processor.received.stream().filter(ProcessingRequest::hasResponseBody).count();
    assertTrue(bodyMessages >= 2, "chunks are sent as they arrive, got " + bodyMessages);
    assertTrue(processor.received.stream().filter(ProcessingRequest::hasResponseBody)
        .reduce((a, b) -> b).orElseThrow().getResponseBody().getEndOfStream());
  }

  /**
   * Envoy's Filter::onReceiveMessage takes a message carrying override_message_timeout as only
   * that: an answer in the same message is ignored, and the headers stay with the processor
   * until a message that answers them alone.
   */
  @Test
  void aMessageWithATimeoutOverrideIsOnlyAnOverride() throws Exception {
    startEdge(b -> b.setMaxMessageTimeout(Durations.fromSeconds(10)));
    processor.script((request, out) -> {
      if (request.hasRequestHeaders()) {
        out.onNext(requestHeadersAnswerSetting("x-in-the-override", "1").toBuilder()
            .setOverrideMessageTimeout(Durations.fromSeconds(5)).build());
        out.onNext(requestHeadersAnswerSetting("x-in-the-answer", "1"));
      } else {
        out.onNext(ScriptedExtProcServer.continueAnswer(request));
      }
    });

    assertEquals(200, get("/").statusCode());
    HttpExchange atOrigin = origin.next();
    assertEquals("1", atOrigin.getRequestHeaders().getFirst("x-in-the-answer"));
    assertNull(atOrigin.getRequestHeaders().getFirst("x-in-the-override"));
  }

  private static ProcessingResponse requestHeadersAnswerSetting(String name, String value) {
    return ProcessingResponse.newBuilder().setRequestHeaders(HeadersResponse.newBuilder()
        .setResponse(CommonResponse.newBuilder().setHeaderMutation(HeaderMutation.newBuilder()
            .addSetHeaders(line(name, value, false))))).build();
  }

  @Test
  void messageTimeoutWithoutFailureModeAllowIs504() throws Exception {
    startEdge(b -> b.setMessageTimeout(Durations.fromMillis(200)));
    processor.script((request, out) -> { });
    HttpResponse<String> response = get("/");
    assertEquals(504, response.statusCode());
    assertTrue(origin.received.isEmpty());
  }

  /** Filter::onMessageTimeout closes the stream, which Envoy counts as closed as well as timed out. */
  @Test
  void aMessageTimeoutClosesTheStreamAndCountsIt() throws Exception {
    startEdge(b -> b.setMessageTimeout(Durations.fromMillis(200)).setFailureModeAllow(true));
    processor.script((request, out) -> { });

    assertEquals(200, get("/").statusCode());

    assertEquals(1, edge.processorStats().messageTimeouts());
    assertEquals(1, edge.processorStats().failureModeAllowed());
    assertEquals(1, edge.processorStats().streamsClosed());
  }

  @Test
  void messageTimeoutWithFailureModeAllowServesOrigin() throws Exception {
    startEdge(b -> b.setMessageTimeout(Durations.fromMillis(200)).setFailureModeAllow(true));
    processor.script((request, out) -> { });
    HttpResponse<String> response = get("/");
    assertEquals(200, response.statusCode());
    assertEquals("hello from origin", response.body());
  }

  @Test
  void overrideMessageTimeoutExtendsTheWait() throws Exception {
    // Warmed up, so the override reaches the edge well within the original timer.
    long messageTimeoutMillis = 3_000; // room for a loaded machine: the override must beat it
    startWarmEdge(b -> b.setMessageTimeout(Durations.fromMillis(messageTimeoutMillis))
        .setMaxMessageTimeout(Durations.fromSeconds(10)));
    processor.script((request, out) -> {
      if (request.hasRequestHeaders()) {
        out.onNext(ProcessingResponse.newBuilder().setOverrideMessageTimeout(Durations.fromSeconds(10)).build());
        // Answer only after the original timer would have fired: it started before this
        // message arrived, so counting from here it has surely run out.
        CompletableFuture.runAsync(() -> out.onNext(ScriptedExtProcServer.continueAnswer(request)),
            CompletableFuture.delayedExecutor(messageTimeoutMillis + 500, TimeUnit.MILLISECONDS));
      } else {
        out.onNext(ScriptedExtProcServer.continueAnswer(request));
      }
    });
    CompletableFuture<HttpResponse<String>> response = client.sendAsync(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + "/slow"))
            .timeout(REQUEST_TIMEOUT).build(),
        HttpResponse.BodyHandlers.ofString());

    assertEquals(200, response.get(REQUEST_TIMEOUT.toSeconds(), TimeUnit.SECONDS).statusCode());
  }

  @Test
  void overrideMessageTimeoutIgnoredWithoutMaxMessageTimeout() throws Exception {
    startEdge(b -> b.setMessageTimeout(Durations.fromMillis(200)).clearMaxMessageTimeout());
    processor.script((request, out) ->
        out.onNext(ProcessingResponse.newBuilder().setOverrideMessageTimeout(Durations.fromSeconds(5)).build()));
    assertEquals(504, get("/").statusCode());
  }

  @Test
  void processorDownWithFailureModeAllowServesOrigin() throws Exception {
    try (Socket deadPort = refusingPort()) {
      startEdge(b -> b.setFailureModeAllow(true), deadPort.getLocalPort());
      HttpResponse<String> response = get("/");
      assertEquals(200, response.statusCode());
      assertEquals("hello from origin", response.body());
    }
  }

  @Test
  void processorDownWithoutFailureModeAllowIs500() throws Exception {
    try (Socket deadPort = refusingPort()) {
      startEdge(b -> b, deadPort.getLocalPort());
      HttpResponse<String> response = get("/");
      assertEquals(500, response.statusCode());
      // Envoy's error reply carries its details only in RESPONSE_CODE_DETAILS (ext_proc.cc,
      // onGrpcError: an ImmediateResponse with a status and details, no body).
      assertEquals("", response.body());
    }
  }

  @Test
  void headKeepsContentLengthWithoutBody() throws Exception {
    startEdge(b -> b);
    origin.handler(exchange -> {
      exchange.getResponseHeaders().set("Content-Length", "1234");
      exchange.sendResponseHeaders(200, -1);
    });
    HttpResponse<String> response = client.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + edge.port() + "/file"))
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode());
    assertEquals("1234", response.headers().firstValue("content-length").orElse(null));
    assertEquals("", response.body());
    ProcessingRequest requestHeaders = processor.next();
    assertTrue(requestHeaders.getRequestHeaders().getEndOfStream());
    ProcessingRequest responseHeaders = processor.next();
    assertTrue(responseHeaders.getResponseHeaders().getEndOfStream(), "a HEAD response has no body");
    // Keep-alive still works after a HEAD.
    assertEquals(200, get("/").statusCode());
  }

  /**
   * As Envoy: a request loses its hop-by-hop headers in the codec and connection manager, before
   * the filter chain; a response keeps them through the filter chain (the processor sees the
   * origin's Connection and Keep-Alive) and loses Connection, Keep-Alive, Transfer-Encoding,
   * Upgrade and Proxy-Connection only when it is written to the client
   * (mutateResponseHeaders), while a header the origin's Connection names is passed on.
   */
  @Test
  void hopByHopHeadersAsEnvoyTreatsThemEachWay() throws Exception {
    startEdge(b -> b);
    origin.handler(exchange -> {
      exchange.getResponseHeaders().set("Connection", "x-origin-hop");
      exchange.getResponseHeaders().set("X-Origin-Hop", "1");
      exchange.getResponseHeaders().set("Keep-Alive", "timeout=5");
      TestOrigin.respond(exchange, 200, "ok");
    });
    String raw = exchangeOnce("GET /hop HTTP/1.1\r\nHost: example.test\r\n"
        + "Connection: close, x-client-hop\r\nX-Client-Hop: 1\r\nTE: gzip, trailers\r\nKeep-Alive: 5\r\n"
        + "Proxy-Connection: keep-alive\r\nUpgrade: websocket\r\nX-End-To-End: kept\r\n\r\n");
    Map<String, String> sent = headerMap(processor.next());
    for (String hop : new String[] {"connection", "x-client-hop", "keep-alive", "proxy-connection", "upgrade"}) {
      assertFalse(sent.containsKey(hop), hop + " sent to ext_proc");
    }
    // A TE offering trailers is kept as exactly that (sanitizeTEHeader, envoyproxy/envoy pull 32255).
    assertEquals("trailers", sent.get("te"));
    assertEquals("example.test", sent.get(":authority"));
    HttpExchange atOrigin = origin.next();
    assertNull(atOrigin.getRequestHeaders().getFirst("x-client-hop"));
    assertEquals("trailers", atOrigin.getRequestHeaders().getFirst("te"));
    assertNull(atOrigin.getRequestHeaders().getFirst("upgrade"));
    assertEquals("kept", atOrigin.getRequestHeaders().getFirst("x-end-to-end"));
    assertEquals("example.test", atOrigin.getRequestHeaders().getFirst("host"));

    Map<String, String> response = headerMap(processor.next());
    assertEquals("x-origin-hop", response.get("connection"), response.toString());
    assertEquals("timeout=5", response.get("keep-alive"), response.toString());
    assertEquals("1", response.get("x-origin-hop"), response.toString());
    assertTrue(raw.startsWith("http/1.1 200"), raw);
    assertTrue(raw.contains("\r\nx-origin-hop: 1\r\n"), raw);
    assertFalse(raw.contains("connection: x-origin-hop"), raw);
    assertFalse(raw.contains("keep-alive"), raw);
  }

  /** A TE that does not offer trailers is removed (sanitizeTEHeader). */
  @Test
  void aTeWithoutTrailersIsRemoved() throws Exception {
    startEdge(b -> b);
    exchangeOnce("GET /te HTTP/1.1\r\nHost: example.test\r\nTE: gzip\r\nConnection: close\r\n\r\n");
    assertFalse(headerMap(processor.next()).containsKey("te"));
    assertNull(origin.next().getRequestHeaders().getFirst("te"));
  }

  /**
   * Envoy's header map holds an inline header (Cache-Control, If-None-Match, ...) in one slot
   * and joins a repeated line to it with a comma (HeaderMapImpl::insertByKey); other names keep
   * a line each. The processor, the origin and the client all see the joined line.
   */
  @Test
  void repeatedInlineHeadersTravelJoinedAsInEnvoysHeaderMap() throws Exception {
    startEdge(b -> b);
    origin.handler(exchange -> {
      exchange.getResponseHeaders().add("Cache-Control", "max-age=60");
      exchange.getResponseHeaders().add("X-Repeated", "a");
      exchange.getResponseHeaders().add("Cache-Control", "public");
      exchange.getResponseHeaders().add("X-Repeated", "b");
      TestOrigin.respond(exchange, 200, "ok");
    });
    String raw = exchangeOnce("GET /joined HTTP/1.1\r\nHost: example.test\r\n"
        + "If-None-Match: \"a\"\r\nX-Client: 1\r\nIf-None-Match: \"b\"\r\nX-Client: 2\r\n"
        + "Connection: close\r\n\r\n");
    List<String> request = headerLines(processor.next());
    assertTrue(request.contains("if-none-match: \"a\",\"b\""), request.toString());
    assertTrue(request.contains("x-client: 1") && request.contains("x-client: 2"), request.toString());
    HttpExchange atOrigin = origin.next();
    assertEquals(List.of("\"a\",\"b\""), atOrigin.getRequestHeaders().get("If-None-Match"));
    assertEquals(List.of("1", "2"), atOrigin.getRequestHeaders().get("X-Client"));

    List<String> response = headerLines(processor.next());
    assertTrue(response.contains("cache-control: max-age=60,public"), response.toString());
    assertTrue(response.contains("x-repeated: a") && response.contains("x-repeated: b"),
        response.toString());
    assertTrue(raw.contains("\r\ncache-control: max-age=60,public\r\n"), raw);
    assertTrue(raw.contains("\r\nx-repeated: a\r\n") && raw.contains("\r\nx-repeated: b\r\n"), raw);
  }

  /** Every header line of a headers message as "name: value", in order. */
  private static List<String> headerLines(ProcessingRequest request) {
    var map = request.hasRequestHeaders() ? request.getRequestHeaders().getHeaders()
        : request.getResponseHeaders().getHeaders();
    return map.getHeadersList().stream()
        .map(header -> header.getKey() + ": " + header.getRawValue().toStringUtf8()).toList();
  }

  @Test
  void unsupportedFilterFieldRejectedByName() {
    ExternalProcessor filter = envoyFilter.toBuilder().addRequestAttributes("request.path").build();
    ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
        () -> LocalEdgeConfig.builder().externalProcessor(filter).extProcTarget("127.0.0.1", 1)
            .route(RouteConfig.of("*", "/", origin.url())).build());
    assertTrue(e.getMessage().contains("request_attributes"), e.getMessage());
  }

  @Test
  void noMatchingRouteIs404() throws Exception {
    edge = LocalEdge.start(LocalEdgeConfig.builder()
        .warmUpProcessor(false)
        .externalProcessor(envoyFilter)
        .extProcTarget("127.0.0.1", processor.port())
        .route(RouteConfig.of("only.example", "/", origin.url()))
        .build());
    assertEquals(404, get("/").statusCode());
  }

  /**
   * The router's route_not_found 404 is a local reply, and since Envoy 1.37 (envoyproxy/envoy#41769)
   * local replies pass through ext_proc's encodeHeaders: the processor sees it as response headers
   * ending the stream, with no body and no Content-Type (Utility::prepareLocalReply sets those only
   * for a body).
   */
  @Test
  void theNoRoute404ReachesTheProcessorAsResponseHeaders() throws Exception {
    startEdgeWithNoRouteForItsRequests(b -> b);

    HttpResponse<String> response = get("/");

    assertEquals(404, response.statusCode());
    assertEquals("", response.body());
    List<ProcessingRequest> received = List.copyOf(processor.received);
    assertEquals(2, received.size(), received.toString());
    ProcessingRequest responseHeaders = received.get(1);
    assertTrue(responseHeaders.hasResponseHeaders(), responseHeaders.toString());
    assertTrue(responseHeaders.getResponseHeaders().getEndOfStream());
    List<String> lines = headerLines(responseHeaders);
    assertTrue(lines.contains(":status: 404"), lines.toString());
    assertTrue(lines.stream().noneMatch(line -> line.startsWith("content-type")), lines.toString());
  }

  /**
   * The no-route 404 waits for the processor's answer to its response headers only as long as
   * message_timeout: a processor that answers the request headers and then goes silent is
   * timed out, and with failure_mode_allow the 404 goes on without it (clearAsyncState).
   */
  @Test
  void theNoRoute404WaitsForASilentProcessorOnlyUntilTheMessageTimeout() throws Exception {
    processor.script((request, out) -> {
      if (request.hasRequestHeaders()) {
        out.onNext(ScriptedExtProcServer.continueAnswer(request));
      }
    });
    startEdgeWithNoRouteForItsRequests(b -> b.setFailureModeAllow(true)
        .setMessageTimeout(Durations.fromSeconds(2)));

    assertEquals(404, get("/").statusCode());
    assertEquals(1, edge.processorStats().messageTimeouts());
    assertTrue(processor.received.stream().anyMatch(ProcessingRequest::hasResponseHeaders),
        "the 404 was sent to the processor");
  }

  /** Starts the edge as {@link #startEdge} does, with one route, for a host no test request names. */
  private void startEdgeWithNoRouteForItsRequests(UnaryOperator<ExternalProcessor.Builder> tweak)
      throws Exception {
    edge = LocalEdge.start(LocalEdgeConfig.builder()
        .warmUpProcessor(false)
        .externalProcessor(tweak.apply(envoyFilter.toBuilder()
            .setFailureModeAllow(false).setMessageTimeout(PATIENT_TIMEOUT)).build())
        .extProcTarget("127.0.0.1", processor.port())
        .route(RouteConfig.of("only.example", "/", origin.url()))
        .build());
  }

  /**
   * A request with a body still arriving when the router finds no route: the 404 goes out through
   * the response side while the rest of the body is read and dropped, and the connection serves
   * the next request.
   */
  @Test
  void aPostWithABodyToNoRouteIsAnsweredAndTheConnectionServesTheNext() throws Exception {
    startEdgeWithNoRouteForItsRequests(b -> b);
    byte[] body = new byte[256 * 1024];

    try (RawClient raw = new RawClient(edge.port())) {
      raw.send("POST /upload HTTP/1.1\r\nHost: edge.test\r\nContent-Length: " + body.length + "\r\n\r\n"
          + new String(body, java.nio.charset.StandardCharsets.ISO_8859_1) + RawClient.get("/next"));
      assertEquals(404, raw.read().status());
      assertEquals(404, raw.read().status());
    }
  }

  private HttpResponse<String> send(String method, String path) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + path))
        .method(method, HttpRequest.BodyPublishers.noBody()).timeout(java.time.Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /**
   * A mutation Envoy rejects (here both value and raw_value set) becomes a local reply with
   * status_on_error (500), even with failure_mode_allow: ext_proc.cc, Filter::onReceiveMessage
   * and Filter::handleErrorResponse; mutation_utils.cc, MutationUtils::applyHeaderMutations.
   */
  @Test
  void rejectedMutationIs500EvenWithFailureModeAllow() throws Exception {
    startEdge(b -> b.setFailureModeAllow(true));
    processor.script((request, out) -> out.onNext(ProcessingResponse.newBuilder()
        .setRequestHeaders(HeadersResponse.newBuilder().setResponse(CommonResponse.newBuilder()
            .setHeaderMutation(HeaderMutation.newBuilder().addSetHeaders(HeaderValueOption.newBuilder()
                .setHeader(HeaderValue.newBuilder().setKey("x-both").setValue("a")
                    .setRawValue(ByteString.copyFromUtf8("a"))))))).build()));
    assertEquals(500, send("GET", "/").statusCode());
    assertTrue(origin.received.isEmpty());

    processor.script((request, out) -> out.onNext(ProcessingResponse.newBuilder()
        .setRequestHeaders(HeadersResponse.newBuilder().setResponse(CommonResponse.newBuilder()
            .setHeaderMutation(HeaderMutation.newBuilder()
                .addSetHeaders(line("x-bad", "line\r\nbreak", false))))).build()));
    assertEquals(500, send("GET", "/").statusCode());
    assertTrue(origin.received.isEmpty());
  }

  /**
   * Mutations Envoy's default rules disallow are ignored, not errors: routing headers, x-envoy-*,
   * removing a pseudo-header, appending to one, a :status under 200
   * (source/extensions/filters/common/mutation_rules/mutation_rules.cc, Checker::check).
   */
  @Test
  void disallowedMutationsAreIgnored() throws Exception {
    startEdge(b -> b);
    processor.script((request, out) -> {
      if (request.hasResponseHeaders()) {
        out.onNext(ProcessingResponse.newBuilder().setResponseHeaders(HeadersResponse.newBuilder()
            .setResponse(CommonResponse.newBuilder().setHeaderMutation(HeaderMutation.newBuilder()
                .addSetHeaders(line(":status", "101", false))
                .addSetHeaders(line(":status", "299", true))
                .addSetHeaders(line("x-envoy-upstream-service-time", "from-the-processor", false))
                .addSetHeaders(line("x-kept", "yes", false))
                .addRemoveHeaders(":status")))).build());
      } else {
        out.onNext(ScriptedExtProcServer.continueAnswer(request));
      }
    });
    HttpResponse<String> response = send("GET", "/");
    assertEquals(200, response.statusCode());
    assertEquals("yes", response.headers().firstValue("x-kept").orElse(null));
    // The router's own value (router.cc, onUpstreamHeaders), not the processor's.
    assertTrue(response.headers().firstValue("x-envoy-upstream-service-time").orElseThrow().matches("\\d+"));
  }

  /**
   * Envoy's router adds x-envoy-upstream-service-time to the origin's response headers before
   * the filter chain (router.cc, Filter::onUpstreamHeaders), so the processor sees it.
   */
  @Test
  void theProcessorSeesTheRoutersServiceTime() throws Exception {
    startEdge(b -> b);
    assertEquals(200, send("GET", "/").statusCode());
    processor.next(); // request headers
    ProcessingRequest responseHeaders = processor.next();
    assertTrue(responseHeaders.hasResponseHeaders());
    String serviceTime = responseHeaders.getResponseHeaders().getHeaders().getHeadersList().stream()
        .filter(header -> header.getKey().equals("x-envoy-upstream-service-time"))
        .map(header -> header.getRawValue().toStringUtf8()).findFirst().orElse("");
    assertTrue(serviceTime.matches("\\d+"), responseHeaders.toString());
  }

  /**
   * Utility::prepareLocalReply (source/common/http/utility.cc): an empty body removes
   * Content-Length and Content-Type; a non-empty one sets Content-Length to its size and
   * Content-Type to text/plain when none was given; a HEAD request gets the headers only
   * (encodeLocalReply). Filter::sendImmediateResponse turns a status under 200 into 200.
   */
  @Test
  void immediateResponsesAreFramedAsEnvoysLocalReply() throws Exception {
    startEdge(b -> b);
    processor.script((request, out) -> {
      String path = ScriptedExtProcServer.pseudo(request, ":path");
      ImmediateResponse.Builder reply = ImmediateResponse.newBuilder()
          .setHeaders(HeaderMutation.newBuilder()
              .addSetHeaders(line("content-length", "999", false))
              .addSetHeaders(line("x-path", path, false)));
      if (path.equals("/empty")) {
        reply.setStatus(HttpStatus.newBuilder().setCodeValue(304))
            .getHeadersBuilder().addSetHeaders(line("content-type", "text/html", false));
      } else {
        reply.setStatus(HttpStatus.newBuilder().setCodeValue(100)).setBody(ByteString.copyFromUtf8("0123456789"));
      }
      out.onNext(ProcessingResponse.newBuilder().setImmediateResponse(reply).build());
    });

    HttpResponse<String> empty = send("GET", "/empty");
    assertEquals(304, empty.statusCode());
    assertTrue(empty.headers().firstValue("content-length").isEmpty(), empty.headers().toString());
    assertTrue(empty.headers().firstValue("content-type").isEmpty(), empty.headers().toString());

    HttpResponse<String> full = send("GET", "/full");
    assertEquals(200, full.statusCode());
    assertEquals("10", full.headers().firstValue("content-length").orElse(null));
    assertEquals("text/plain", full.headers().firstValue("content-type").orElse(null));
    assertEquals("0123456789", full.body());

    HttpResponse<String> head = send("HEAD", "/full");
    assertEquals("10", head.headers().firstValue("content-length").orElse(null));
    assertEquals("", head.body());
    assertEquals(200, send("GET", "/full").statusCode(), "the connection stays usable after a HEAD");
  }

  /**
   * Envoy removes Content-Length when it sends the headers if the mode then in force is STREAMED,
   * before a mode_override can answer (ext_proc.cc Filter::encodeHeaders,
   * processor_state.h ProcessorState::shouldRemoveContentLength); with NONE configured and
   * STREAMED switched on by the override, the length stays.
   */
  @Test
  void contentLengthFollowsTheModeInForceWhenHeadersAreSent() throws Exception {
    origin.handler(exchange -> TestOrigin.respond(exchange, 200, "0123456789"));
    ProcessingMode configured = envoyFilter.getProcessingMode();

    startEdge(b -> b.setProcessingMode(configured.toBuilder().setResponseBodyMode(BodySendMode.STREAMED)));
    processor.script(overrideResponseBodyMode(BodySendMode.NONE));
    HttpResponse<String> streamedConfigured = send("GET", "/a");
    assertEquals("0123456789", streamedConfigured.body());
    assertTrue(streamedConfigured.headers().firstValue("content-length").isEmpty(),
        streamedConfigured.headers().toString());
    edge.close();

    startEdge(b -> b.setProcessingMode(configured.toBuilder().setResponseBodyMode(BodySendMode.NONE)));
    processor.script(overrideResponseBodyMode(BodySendMode.STREAMED));
    HttpResponse<String> noneConfigured = send("GET", "/b");
    assertEquals("0123456789", noneConfigured.body());
    assertEquals("10", noneConfigured.headers().firstValue("content-length").orElse(null));
    assertTrue(processor.received.stream().anyMatch(ProcessingRequest::hasResponseBody),
        "the override switched body streaming on");
  }

  /**
   * Envoy decides Content-Length twice: when the headers go out (above), and again when their
   * answer's header mutation is applied, after a mode_override in that same answer took effect
   * (ext_proc.cc Filter::onReceiveMessage, then ProcessorState::processHeaderMutation passing
   * shouldRemoveContentLength()). Switched to STREAMED, the processor's Content-Length line is
   * skipped and the origin's length stays; switched to NONE, it is applied.
   */
  @Test
  void contentLengthMutationFollowsTheModeAfterTheOverride() throws Exception {
    origin.handler(exchange -> TestOrigin.respond(exchange, 200, "0123456789"));
    ProcessingMode configured = envoyFilter.getProcessingMode();

    startEdge(b -> b.setProcessingMode(configured.toBuilder().setResponseBodyMode(BodySendMode.NONE)));
    processor.script(overrideResponseBodyModeSettingLength(BodySendMode.STREAMED, "999"));
    HttpResponse<String> toStreamed = send("GET", "/a");
    assertEquals("0123456789", toStreamed.body());
    assertEquals("10", toStreamed.headers().firstValue("content-length").orElse(null));
    edge.close();

    startEdge(b -> b.setProcessingMode(configured.toBuilder().setResponseBodyMode(BodySendMode.STREAMED)));
    processor.script(overrideResponseBodyModeSettingLength(BodySendMode.NONE, "10"));
    HttpResponse<String> toNone = send("GET", "/b");
    assertEquals("0123456789", toNone.body());
    assertEquals("10", toNone.headers().firstValue("content-length").orElse(null),
        "removed when the headers went out under STREAMED, set again by the mutation under NONE");
  }

  /** Overrides the response body mode; with {@code contentLength}, also sets that header. */
  private static ScriptedExtProcServer.Script overrideResponseBodyModeSettingLength(BodySendMode bodyMode,
      String contentLength) {
    return (request, out) -> {
      ProcessingResponse.Builder answer = ScriptedExtProcServer.continueAnswer(request).toBuilder();
      if (request.hasResponseHeaders()) {
        answer.setModeOverride(ProcessingMode.newBuilder().setResponseBodyMode(bodyMode));
      }
      if (request.hasResponseHeaders() && contentLength != null) {
        answer.getResponseHeadersBuilder().getResponseBuilder()
            .setHeaderMutation(HeaderMutation.newBuilder().addSetHeaders(line("content-length", contentLength, false)));
      }
      out.onNext(answer.build());
    };
  }

  private static ScriptedExtProcServer.Script overrideResponseBodyMode(BodySendMode bodyMode) {
    return overrideResponseBodyModeSettingLength(bodyMode, null);
  }

  /**
   * Envoy >= 1.37 half-closes the stream as soon as no more messages will be sent
   * (ext_proc.cc, Filter::closeGrpcStreamIfLastRespReceived): here after the answer to the
   * response headers under body mode NONE, while the origin's body is still on its way.
   */
  @Test
  void streamClosedOnceNoMoreProcessingIsNeeded() throws Exception {
    startEdge(b -> b);
    CountDownLatch bodyMayFinish = new CountDownLatch(1);
    origin.handler(exchange -> {
      exchange.sendResponseHeaders(200, 10);
      OutputStream body = exchange.getResponseBody();
      body.write("01234".getBytes());
      body.flush();
      try {
        bodyMayFinish.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      body.write("56789".getBytes());
    });
    CompletableFuture<HttpResponse<String>> response = client.sendAsync(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + "/held"))
            .timeout(java.time.Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());

    Integer messages = processor.closedAfter.poll(5, TimeUnit.SECONDS);
    assertEquals(2, messages, "half-closed after request and response headers, before the body ended");
    assertFalse(response.isDone());
    bodyMayFinish.countDown();
    assertEquals("0123456789", response.get(10, TimeUnit.SECONDS).body());
  }

  /**
   * Envoy closes an ext_proc stream by half-closing and then resetting it (client_impl.cc,
   * ExternalProcessorStreamImpl::close; waiting for the server's close needs the runtime flag
   * ext_proc_graceful_grpc_close, off by default): a server that keeps its call open after the
   * half-close still sees it cancelled, and nothing it sends later reaches the proxy.
   */
  @Test
  void streamsAreClosedAsEnvoyClosesThemHalfCloseThenReset() throws Exception {
    startEdge(b -> b);
    processor.keepCallsOpenAfterHalfClose();
    origin.handler(exchange -> {
      exchange.sendResponseHeaders(200, 2);
      exchange.getResponseBody().write("ok".getBytes());
    });
    HttpResponse<String> response = client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + "/closed"))
            .timeout(java.time.Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals("ok", response.body());
    assertEquals(2, processor.cancelledAfter.poll(5, TimeUnit.SECONDS),
        "reset after both messages, without waiting for the server to end the call");
  }

  /** A stream given up on (here its message timed out) is closed the same way. */
  @Test
  void aTimedOutStreamIsClosedAsEnvoyClosesIt() throws Exception {
    startEdge(b -> b.setMessageTimeout(Durations.fromMillis(200)).setFailureModeAllow(true));
    processor.keepCallsOpenAfterHalfClose();
    processor.script((request, out) -> { });
    assertEquals(200, get("/").statusCode());
    assertEquals(1, processor.cancelledAfter.poll(5, TimeUnit.SECONDS),
        "reset after the unanswered message, without waiting for the server to end the call");
  }

  /**
   * The stream's initial metadata is the filter's grpc_service.initial_metadata with the
   * route's grpc_initial_metadata merged in (ext_proc.cc, Filter::mergePerRouteConfig), each
   * value read by Envoy's header formatter: "%%" is a percent sign, and a "%" that starts no
   * command Envoy can parse breaks the stream (500 without failure_mode_allow).
   */
  @Test
  void grpcInitialMetadataIsFormattedAsEnvoysHeaderFormatter() throws Exception {
    startEdge(b -> b.setGrpcService(b.getGrpcService().toBuilder()
        .addInitialMetadata(HeaderValue.newBuilder().setKey("x-site").setValue("100%% sure"))));
    assertEquals(200, send("GET", "/").statusCode());
    assertEquals("100% sure", processor.streamHeaders.poll(5, TimeUnit.SECONDS)
        .get(io.grpc.Metadata.Key.of("x-site", io.grpc.Metadata.ASCII_STRING_MARSHALLER)));
    edge.close();

    startEdge(b -> b.setGrpcService(b.getGrpcService().toBuilder()
        .addInitialMetadata(HeaderValue.newBuilder().setKey("x-site").setValue("50% off"))));
    origin.received.clear();
    assertEquals(500, send("GET", "/").statusCode());
    assertTrue(origin.received.isEmpty());
  }

  /**
   * A "-bin" key is binary metadata: Envoy base64-encodes the formatted value on the wire
   * (async_client_impl.cc, base64EscapeBinHeaders), so the processor reads the value's bytes.
   */
  @Test
  void binaryGrpcInitialMetadataCarriesTheFormattedValuesBytes() throws Exception {
    startEdge(b -> b.setGrpcService(b.getGrpcService().toBuilder()
        .addInitialMetadata(HeaderValue.newBuilder().setKey("x-blob-bin").setValue("Cgs+/w=="))));
    assertEquals(200, send("GET", "/").statusCode());
    assertEquals("Cgs+/w==", new String(processor.streamHeaders.poll(5, TimeUnit.SECONDS)
        .get(io.grpc.Metadata.Key.of("x-blob-bin", io.grpc.Metadata.BINARY_BYTE_MARSHALLER)), StandardCharsets.UTF_8));
  }

  /** Sends {@code request} (which asks to close) as written and returns the reply, lower-cased. */
  private String exchangeOnce(String request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", edge.port())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      return readAll(socket.getInputStream()).toLowerCase(Locale.ROOT);
    }
  }

  private static String readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    in.transferTo(out);
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  /**
   * A socket bound to a loopback port and not listening, so connecting to it is refused; held,
   * unlike a port probed and released, which the edge's own listeners could be given.
   */
  private static Socket refusingPort() throws IOException {
    Socket socket = new Socket();
    socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    return socket;
  }

}
