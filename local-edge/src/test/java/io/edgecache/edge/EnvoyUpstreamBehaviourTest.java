package io.edgecache.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.util.Durations;
import io.edgecache.edge.config.EnvoyBootstrapLoader;
import io.edgecache.edge.config.HttpTimeouts;
import io.edgecache.edge.config.LocalEdgeConfig;
import io.edgecache.edge.config.RouteConfig;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * How local-edge treats origins that close, reset, misframe, send interim responses or go
 * quiet, and clients that pipeline or stall — each test mirrors one documented Envoy
 * behaviour, named in its javadoc, so that what passes here holds behind Envoy too. A real
 * ext_proc server (scripted), a raw-socket origin and a raw-socket client; every read is
 * bounded, so a hang fails the test.
 *
 * <p>Envoy documentation cited: router filter and "Response code details"
 * (https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/response_code_details),
 * "How do I configure timeouts?" (https://www.envoyproxy.io/docs/envoy/latest/faq/configuration/timeouts),
 * HttpConnectionManager {@code proxy_100_continue}, {@code request_headers_timeout},
 * {@code stream_idle_timeout}, {@code common_http_protocol_options.idle_timeout}.
 */
@Timeout(30)
class EnvoyUpstreamBehaviourTest {
  private static final String RESET_BEFORE_HEADERS = "upstream connect error or disconnect/reset before headers. ";
  private static ExternalProcessor envoyFilter;

  private ScriptedExtProcServer processor;
  private RawOrigin origin;
  private LocalEdge edge;

  @BeforeEach
  void setUp() throws Exception {
    if (envoyFilter == null) {
      envoyFilter = EnvoyBootstrapLoader.loadExternalProcessor(RepoFiles.envoyYaml());
    }
    processor = new ScriptedExtProcServer();
    origin = new RawOrigin((connection, head) -> connection.send(ok("hello")));
  }

  @AfterEach
  void tearDown() throws Exception {
    if (edge != null) {
      edge.close();
    }
    processor.close();
    origin.close();
  }

  private void startEdge() throws Exception {
    startEdge(RouteConfig.DEFAULT_TIMEOUT, HttpTimeouts.DEFAULTS);
  }

  private void startEdge(Duration routeTimeout, HttpTimeouts timeouts) throws Exception {
    edge = LocalEdge.start(LocalEdgeConfig.builder()
        .warmUpProcessor(false)
        .listen("127.0.0.1", 0)
        .externalProcessor(envoyFilter.toBuilder()
            .setFailureModeAllow(false)
            // Generous: the machine may be loaded, and these tests are about the origin side.
            .setMessageTimeout(Durations.fromSeconds(10)).build())
        .extProcTarget("127.0.0.1", processor.port())
        .route(new RouteConfig("*", "/", URI.create(origin.url()), routeTimeout))
        .timeouts(timeouts)
        .build());
  }

  private RawClient client() throws Exception {
    return new RawClient(edge.port());
  }

  private static String ok(String body) {
    return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
  }

  private static ProcessingResponse immediate(int status, String body) {
    return ProcessingResponse.newBuilder().setImmediateResponse(ImmediateResponse.newBuilder()
        .setStatus(HttpStatus.newBuilder().setCodeValue(status))
        .setBody(ByteString.copyFromUtf8(body))).build();
  }

  /** The :status of every response_headers message the processor received so far. */
  private List<String> statusesSeenByProcessor() {
    List<String> statuses = new ArrayList<>();
    for (ProcessingRequest request : processor.received) {
      if (request.hasResponseHeaders()) {
        for (HeaderValue header : request.getResponseHeaders().getHeaders().getHeadersList()) {
          if (header.getKey().equals(":status")) {
            statuses.add(header.getRawValue().toStringUtf8());
          }
        }
      }
    }
    return statuses;
  }

  // ---- request framing ----

  /**
   * Envoy's HTTP/1 codec (StreamEncoderImpl::encodeHeadersBase) gives a request whose headers end
   * it {@code content-length: 0} unless its method has no body (HeaderUtility::requestShouldHaveNoBody:
   * GET, HEAD, DELETE, TRACE, CONNECT), so an origin that wants a length on a POST gets one.
   */
  @ParameterizedTest
  @CsvSource({"POST, true", "PUT, true", "GET, false", "DELETE, false"})
  void aBodilessRequestCarriesContentLengthZeroUnlessItsMethodHasNoBody(String method, boolean zero)
      throws Exception {
    startEdge();
    try (RawClient client = client()) {
      client.send(method + " /p HTTP/1.1\r\nHost: edge.test\r\n\r\n");
      assertEquals(200, client.read().status());
    }
    String head = origin.requests.poll(10, TimeUnit.SECONDS);
    assertNotNull(head, "the origin got no request");
    assertEquals(zero, head.toLowerCase(Locale.ROOT).contains("\r\ncontent-length: 0\r\n"), head);
  }

  /**
   * Envoy's HTTP/1 codec (encodeHeadersBase): a response to HEAD without Content-Length gets an
   * informational {@code transfer-encoding: chunked} (for a status that may carry a body) and
   * no chunk, so the next response on the connection follows straight after the head; one with
   * Content-Length keeps it and gets no Transfer-Encoding.
   */
  @Test
  void aHeadResponseWithoutALengthSaysChunkedAndSendsNoChunk() throws Exception {
    origin.script((connection, head) -> connection.send(head.startsWith("HEAD /unsized ")
        ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        : head.startsWith("HEAD ") ? "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" : ok("hello")));
    startEdge();
    try (RawClient client = client()) {
      client.send("HEAD /unsized HTTP/1.1\r\nHost: edge.test\r\n\r\n" + RawClient.get("/next"));
      RawClient.Response unsized = client.readHeadOnly();
      assertEquals("chunked", unsized.header("transfer-encoding"), unsized.head());
      assertEquals(null, unsized.header("content-length"), unsized.head());
      RawClient.Response next = client.read();
      assertEquals(200, next.status(), next.head());
      assertEquals("hello", next.body());

      client.send("HEAD /sized HTTP/1.1\r\nHost: edge.test\r\n\r\n");
      RawClient.Response sized = client.readHeadOnly();
      assertEquals("5", sized.header("content-length"), sized.head());
      assertEquals(null, sized.header("transfer-encoding"), sized.head());
    }
  }

  // ---- origin close and reset, at every phase ----

  /** Envoy router: a close before response headers is a 503 local reply, reset reason "connection termination" (response code details: upstream_reset_before_response_started{connection_termination}). */
  @Test
  void originClosesBeforeHeadersGives503() throws Exception {
    origin.script((connection, head) -> connection.close());
    startEdge();
    try (RawClient client = client()) {
      client.send(RawClient.get("/closed"));
      RawClient.Response response = client.read();
      assertEquals(503, response.status());
      assertEquals(RESET_BEFORE_HEADERS + "reset reason: connection termination", response.body());
    }
  }

  /** Envoy router: a TCP reset before response headers is the same 503 (connection termination). */
  @Test
  void originResetsBeforeHeadersGives503() throws Exception {
    origin.script((connection, head) -> connection.reset());
    startEdge();
    try (RawClient client = client()) {
      client.send(RawClient.get("/reset"));
      assertEquals(503, client.read().status());
    }
  }

  /**
   * Envoy router: a response its HTTP/1 codec refuses is a protocol error, 502 (response code
   * details: upstream_reset_before_response_started{protocol_error}): an unparseable head, or a
   * 204 that announces a body (Transfer-Encoding, or a Content-Length other than 0:
   * ClientConnectionImpl::onHeadersCompleteBase), which Netty would take as bodiless, reading
   * the announced body as the next response.
   */
  @ParameterizedTest
  @ValueSource(strings = {"HTTP/1.1 abc Broken\r\n\r\n",
      "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello"})
  void aResponseTheCodecRefusesGives502(String refused) throws Exception {
    origin.script((connection, head) -> connection.send(refused));
    startEdge();
    try (RawClient client = client()) {
      client.send(RawClient.get("/refused"));
      RawClient.Response response = client.read();
      assertEquals(502, response.status());
      assertEquals(RESET_BEFORE_HEADERS + "reset reason: protocol error", response.body());
    }
  }

  /**
   * Envoy's connection manager after the filter chain (ActiveStream::encodeHeaders): a Date when
   * the response has none, an origin's Date kept, and Server overwritten with its server_name.
   */
  @Test
  void theClientGetsEnvoysServerAndADate() throws Exception {
    origin.script((connection, head) -> connection.send(head.startsWith("GET /dated ")
        ? "HTTP/1.1 200 OK\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nServer: origin\r\nContent-Length: 2\r\n\r\nok"
        : "HTTP/1.1 200 OK\r\nServer: origin\r\nContent-Length: 2\r\n\r\nok"));
    startEdge();
    try (RawClient client = client()) {
      client.send(RawClient.get("/undated"));
      RawClient.Response undated = client.read();
      assertEquals("envoy", undated.header("server"));
      assertTrue(String.valueOf(undated.header("date")).endsWith(" GMT"), undated.toString());
      client.send(RawClient.get("/dated"));
      RawClient.Response dated = client.read();
      assertEquals("Mon, 01 Jan 2024 00:00:00 GMT", dated.header("date"));
      assertEquals("envoy", dated.header("server"));
    }
  }

  /** Envoy's HTTP/1 client codec drops a Content-Length of 0 from a 204. */
  @Test
  void aNoContentResponseLosesAZeroContentLength() throws Exception {
    origin.script((connection, head) ->
        connection.send("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nX-Kept: yes\r\n\r\n"));
    startEdge();
    try (RawClient client = client()) {
      client.send(RawClient.get("/no-content"));
      RawClient.Response response = client.read();
      assertEquals(204, response.status());
      assertEquals("yes", response.header("x-kept"));
    }
    ProcessingRequest responseHeaders = processor.received.stream()
        .filter(ProcessingRequest::hasResponseHeaders).findFirst().orElseThrow();
    assertFalse(responseHeaders.getResponseHeaders().getHeaders().getHeadersList().stream()
        .anyMatch(header -> header.getKey().equals("content-length")),
        responseHeaders.toString());
  }

  /**
   * The stale-if-error path: Envoy's router local reply for an upstream reset passes back
   * through the filter chain, so ext_proc sees a 503 at response_headers and its
   * immediate_response (a stale copy) is what the client gets.
   */
  @Test
  void processorAnswersTheResetReplyWithStaleContent() throws Exception {
    origin.script((connection, head) -> connection.reset());
    processor.script((request, out) -> out.onNext(request.hasResponseHeaders()
        ? immediate(200, "stale copy") : ScriptedExtProcServer.continueAnswer(request)));
    startEdge();
    try (RawClient client = client()) {
      client.send(RawClient.get("/stale"));
      RawClient.Response response = client.read();
      assertEquals(200, response.status());
      assertEquals("stale copy", response.body());
      client.send(RawClient.get("/stale-again"));
      assertEquals("stale copy", client.read().body(), "the client connection keeps serving");
    }
    assertEquals(List.of("503", "503"), statusesSeenByProcessor());
  }

  /** Envoy router: a close after response headers resets the downstream stream (upstream_reset_after_response_started); for HTTP/1.1 the client connection closes short of the Content-Length. */
  @Test
  void originClosesMidBodyResetsTheClient() throws Exception {
    origin.script((connection, head) -> {
      connection.send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part");
      connection.close();
    });
    startEdge();
    try (RawClient client = client()) {
      client.send(RawClient.get("/short"));
      // Closed, with at most the head and part of the body: the processor may still hold the head.
      String received = client.readUntilClosed();
      assertTrue(received.isEmpty() || received.startsWith("HTTP/1.1 200"), received);
      // The head may keep the origin's Content-Length: 100 (whose "0\r\n\r\n" is no chunk end).
      int headEnd = received.indexOf("\r\n\r\n");
      String body = headEnd < 0 ? "" : received.substring(headEnd + 4);
      assertTrue(body.length() < 100 && !body.endsWith("0\r\n\r\n"),
          "the body is never completed: " + received);
    }
  }

  /** Envoy's HTTP/1 codec: an invalid chunk size is a protocol error; after headers the downstream stream is reset. */
  @Test
  void brokenChunkResetsTheClient() throws Exception {
    origin.script((connection, head) -> connection.send(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n"));
    startEdge();
    try (RawClient client = client()) {
      client.send(RawClient.get("/chunks"));
      String received = client.readUntilClosed();
      assertTrue(received.isEmpty() || received.startsWith("HTTP/1.1 200"), received);
      assertFalse(received.contains("0\r\n\r\n"), "no terminating chunk is invented: " + received);
    }
  }

  /** Envoy: a body delimited by the origin closing the connection (no Content-Length, no chunking) is complete at the close. */
  @Test
  void bodyDelimitedByCloseIsDeliveredWhole() throws Exception {
    origin.script((connection, head) -> {
      connection.send("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
      connection.close();
    });
    startEdge();
    try (RawClient client = client()) {
      client.send(RawClient.get("/eof"));
      RawClient.Response response = client.read();
      assertEquals(200, response.status());
      assertEquals("until the end", response.body());
      client.send(RawClient.get("/eof-again"));
      assertEquals("until the end", client.read().body(), "the client connection is still served");
    }
  }

  /**
   * What {@code python3 -m http.server} does on revalidation: a 304 and then a close. The
   * processor turns the 304 into the stored 200 (immediate_response at response_headers) and
   * the client's next request on the connection is answered.
   */
  @Test
  void notModifiedThenCloseServesTheProcessorsAnswer() throws Exception {
    origin.script((connection, head) -> {
      connection.send("HTTP/1.0 304 Not Modified\r\nLast-Modified: Tue, 01 Dec 2026 00:00:00 GMT\r\n\r\n");
      connection.close();
    });
    processor.script((request, out) -> out.onNext(request.hasResponseHeaders()
        ? immediate(200, "from cache") : ScriptedExtProcServer.continueAnswer(request)));
    startEdge();
    try (RawClient client = client()) {
      for (int i = 0; i < 3; i++) {
        client.send(RawClient.get("/revalidated"));
        RawClient.Response response = client.read();
        assertEquals(200, response.status());
        assertEquals("from cache", response.body());
      }
    }
  }

  /** Envoy honours an origin's Connection: close (e.g. a 501 for an unknown method): that origin connection is not reused, and the client's next request is answered on a new one. */
  @Test
  void connectionCloseResponseDoesNotStallTheNextRequest() throws Exception {
    origin.script((connection, head) -> {
      if (head.startsWith("PURGE")) {
        connection.send("HTTP/1.0 501 Unsupported method\r\nConnection: close\r\nContent-Length: 3\r\n\r\nno!");
        connection.close();
      } else {
        connection.send(ok("fine"));
      }
    });
    startEdge();
    try (RawClient client = client()) {
      client.send("PURGE /x HTTP/1.1\r\nHost: edge.test\r\n\r\n");
      assertEquals(501, client.read().status());
      client.send(RawClient.get("/after"));
      RawClient.Response next = client.read();
      assertEquals(200, next.status());
      assertEquals("fine", next.body());
    }
    assertEquals(2, origin.connectionCount());
  }

  /**
   * The load case (origins killed under load left clients hanging): many requests on
   * several keep-alive connections while the origin closes, resets or cuts responses short at
   * every phase. Every request ends — with a response, or with its connection closed — within
   * the route timeout, and the processor's streams all end.
   */
  @Test
  void noRequestHangsWhileTheOriginMisbehavesUnderLoad() throws Exception {
    List<RawOrigin.Script> behaviours = List.of(
        (connection, head) -> connection.send(ok("fine")),
        (connection, head) -> connection.close(),
        (connection, head) -> connection.reset(),
        (connection, head) -> {
          connection.send("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\npart");
          connection.reset();
        },
        (connection, head) -> {
          connection.send("HTTP/1.0 304 Not Modified\r\n\r\n");
          connection.close();
        },
        (connection, head) -> connection.send("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"));
    AtomicInteger next = new AtomicInteger();
    origin.script((connection, head) -> behaviours.get(next.getAndIncrement() % behaviours.size()).serve(connection, head));
    startEdge(Duration.ofSeconds(3), HttpTimeouts.DEFAULTS);

    int connections = 8;
    int requestsEach = 25;
    ExecutorService clients = Executors.newFixedThreadPool(connections);
    try {
      List<Future<Integer>> answered = new ArrayList<>();
      for (int c = 0; c < connections; c++) {
        answered.add(clients.submit(() -> {
          int responses = 0;
          RawClient client = client();
          for (int i = 0; i < requestsEach; i++) {
            try {
              client.send(RawClient.get("/load/" + i));
              client.read();
              responses++;
            } catch (SocketTimeoutException hung) {
              throw new AssertionError("request " + i + " hung", hung);
            } catch (IOException closed) {
              // the edge reset this connection (a response cut short): a new one for the next request
              client.close();
              client = client();
            }
          }
          client.close();
          return responses;
        }));
      }
      int total = 0;
      for (Future<Integer> each : answered) {
        total += each.get(25, TimeUnit.SECONDS);
      }
      assertTrue(total > connections * requestsEach / 2, "most requests got a response: " + total);
    } finally {
      clients.shutdownNow();
    }
  }

  // ---- framing ----

  /** Envoy's HTTP/1 codec: bytes after a complete response are never parsed as another response; that origin connection is closed, never reused. */
  @Test
  void bodyLongerThanContentLengthIsCutAndTheConnectionNotReused() throws Exception {
    origin.script((connection, head) -> connection.send(
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 299 Bogus\r\nContent-Length: 0\r\n\r\n"));
    startEdge();
    try (RawClient client = client()) {
      client.send(RawClient.get("/long"));
      RawClient.Response first = client.read();
      assertEquals(200, first.status());
      assertEquals("hello", first.body());
      client.send(RawClient.get("/next"));
      RawClient.Response second = client.read();
      assertEquals(200, second.status(), "never the bogus 299 from the leftover bytes");
      assertEquals("hello", second.body());
    }
    assertEquals(2, origin.connectionCount());
  }

  /** Envoy keeps an origin connection whose responses are framed correctly (keep-alive pooling). */
  @Test
  void wellFramedConnectionIsReused() throws Exception {
    startEdge();
    try (RawClient client = client()) {
      for (int i = 0; i < 3; i++) {
        client.send(RawClient.get("/again"));
        assertEquals("hello", client.read().body());
      }
    }
    assertEquals(1, origin.connectionCount());
  }

  // ---- 1xx ----

  /** Envoy proxies an origin's 103 Early Hints to the client ahead of the final response (encode1xxHeaders; not seen by ext_proc, so never stored). */
  @Test
  void earlyHintsAreForwardedAndNeverProcessed() throws Exception {
    origin.script((connection, head) -> connection.send(
        "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n" + ok("page")));
    startEdge();
    try (RawClient client = client()) {
      client.send(RawClient.get("/page"));
      RawClient.Response hints = client.read();
      assertEquals(103, hints.status());
      assertEquals("</style.css>; rel=preload", hints.header("link"));
      RawClient.Response page = client.read();
      assertEquals(200, page.status());
      assertEquals("page", page.body());
    }
    assertEquals(List.of("200"), statusesSeenByProcessor());
  }

  /** A forwarded 1xx leaves the framing of later pipelined responses intact (a HEAD's has no body). */
  @Test
  void earlyHintsBeforeAPipelinedHeadKeepTheFraming() throws Exception {
    origin.script((connection, head) -> connection.send(head.startsWith("HEAD")
        ? "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n"
        : "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" + ok("page")));
    startEdge();
    try (RawClient client = client()) {
      client.send(RawClient.get("/page") + "HEAD /page HTTP/1.1\r\nHost: edge.test\r\n\r\n");
      assertEquals(103, client.read().status());
      assertEquals("page", client.read().body());
      RawClient.Response head = client.readHeadOnly();
      assertEquals(200, head.status());
      assertEquals("4", head.header("content-length"));
      client.send(RawClient.get("/after"));
      assertEquals(103, client.read().status(), "no stray bytes after the HEAD response");
      assertEquals("page", client.read().body());
    }
  }

  /** Envoy with proxy_100_continue off (the default) answers Expect: 100-continue itself and drops the origin's own 100 Continue. */
  @Test
  void expectContinueIsAnsweredByTheEdgeAndTheOrigins100Dropped() throws Exception {
    origin.script((connection, head) -> connection.send("HTTP/1.1 100 Continue\r\n\r\n" + ok("stored")));
    startEdge();
    try (RawClient client = client()) {
      client.send("PUT /upload HTTP/1.1\r\nHost: edge.test\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
      assertEquals(100, client.read().status());
      client.send("data");
      RawClient.Response response = client.read();
      assertEquals(200, response.status());
      assertEquals("stored", response.body());
    }
    assertFalse(origin.nextRequest().toLowerCase().contains("expect:"), "the Expect header is not forwarded");
  }

  // ---- pipelining ----

  /** Envoy's HTTP/1 codec handles pipelined requests one at a time, answering each in order. */
  @Test
  void pipelinedRequestsAreAnsweredInOrder() throws Exception {
    origin.script((connection, head) -> connection.send(ok(head.substring(4, head.indexOf(" HTTP/")))));
    startEdge();
    try (RawClient client = client()) {
      client.send(RawClient.get("/one") + RawClient.get("/two") + RawClient.get("/three"));
      assertEquals("/one", client.read().body());
      assertEquals("/two", client.read().body());
      assertEquals("/three", client.read().body());
    }
  }

  // ---- timeouts ----

  /** Envoy's route timeout: no complete response within it is a 504 "upstream request timeout" (response code details: upstream_response_timeout). */
  @Test
  void silentOriginGives504AtTheRouteTimeout() throws Exception {
    origin.script((connection, head) -> connection.awaitPeerClose());
    startEdge(Duration.ofMillis(300), HttpTimeouts.DEFAULTS);
    try (RawClient client = client()) {
      client.send(RawClient.get("/silent"));
      RawClient.Response response = client.read();
      assertEquals(504, response.status());
      assertEquals("upstream request timeout", response.body());
    }
  }

  /** A message the processor holds unanswered, and the stream to answer it on. */
  private record HeldMessage(ProcessingRequest request, StreamObserver<ProcessingResponse> stream) {}

  /**
   * At the route timeout Envoy's router resets the upstream request before its 504 goes back
   * through the filter chain (router.cc: Filter::onResponseTimeout resets every upstream
   * request still in flight, then onUpstreamTimeoutAbort sends the local reply): the origin's
   * connection closes at once, not when the exchange ends, so a response the origin sends late
   * cannot reach the filter as a second set of response headers.
   */
  @Test
  void theRouteTimeoutResetsTheOriginRequestAtOnce() throws Exception {
    CountDownLatch originSawClose = new CountDownLatch(1);
    origin.script((connection, head) -> {
      if (connection.awaitPeerClose()) {
        originSawClose.countDown();
      }
    });
    BlockingQueue<HeldMessage> heldResponseHeaders = new LinkedBlockingQueue<>();
    processor.script((request, out) -> {
      if (request.hasResponseHeaders()) {
        // the 504 waits in the filter until the test answers
        heldResponseHeaders.add(new HeldMessage(request, out));
      } else {
        out.onNext(ScriptedExtProcServer.continueAnswer(request));
      }
    });
    startEdge(Duration.ofMillis(300), HttpTimeouts.DEFAULTS);
    try (RawClient client = client()) {
      client.send(RawClient.get("/late"));
      HeldMessage timeout = heldResponseHeaders.poll(10, TimeUnit.SECONDS);
      assertTrue(timeout != null, "the router's 504 reached the filter");
      assertTrue(originSawClose.await(10, TimeUnit.SECONDS),
          "the origin's connection closed while the 504 was still in the filter");
      timeout.stream().onNext(ScriptedExtProcServer.continueAnswer(timeout.request()));
      RawClient.Response response = client.read();
      assertEquals(504, response.status());
      assertEquals("upstream request timeout", response.body());
    }
  }

  /** HCM request_headers_timeout: a head not complete in time gets 408 and the connection is closed. */
  @Test
  void incompleteRequestHeadGets408() throws Exception {
    startEdge(RouteConfig.DEFAULT_TIMEOUT, new HttpTimeouts(Duration.ofMillis(300), Duration.ofMinutes(5),
        Duration.ofHours(1), Duration.ofHours(1)));
    try (RawClient client = client()) {
      client.send("GET /slow HTTP/1.1\r\nHost: edge.te");
      assertEquals(408, client.read().status());
      assertTrue(client.closedByPeer());
    }
  }

  /** HCM stream_idle_timeout: a request on which nothing moves (a route without timeout, a silent origin) gets 408 before the response starts. */
  @Test
  void idleStreamGets408() throws Exception {
    origin.script((connection, head) -> connection.awaitPeerClose());
    startEdge(Duration.ZERO, new HttpTimeouts(Duration.ofSeconds(10), Duration.ofMillis(300),
        Duration.ofHours(1), Duration.ofHours(1)));
    try (RawClient client = client()) {
      client.send(RawClient.get("/idle"));
      RawClient.Response response = client.read();
      assertEquals(408, response.status());
      assertEquals("stream timeout", response.body());
    }
  }

  /** HCM common_http_protocol_options.idle_timeout: a client connection with no request for that long is closed. */
  @Test
  void idleClientConnectionIsClosed() throws Exception {
    startEdge(RouteConfig.DEFAULT_TIMEOUT, new HttpTimeouts(Duration.ofSeconds(10), Duration.ofMinutes(5),
        Duration.ofMillis(300), Duration.ofHours(1)));
    try (RawClient client = client()) {
      client.send(RawClient.get("/then-idle"));
      assertEquals(200, client.read().status());
      assertTrue(client.closedByPeer());
    }
  }

  /** Cluster common_http_protocol_options.idle_timeout: a pooled origin connection unused for that long is closed. */
  @Test
  void idleOriginConnectionIsClosed() throws Exception {
    startEdge(RouteConfig.DEFAULT_TIMEOUT, new HttpTimeouts(Duration.ofSeconds(10), Duration.ofMinutes(5),
        Duration.ofHours(1), Duration.ofMillis(300)));
    try (RawClient client = client()) {
      client.send(RawClient.get("/pooled"));
      assertEquals(200, client.read().status());
    }
    RawOrigin.Connection pooled = origin.connections.poll();
    assertTrue(pooled != null && pooled.awaitPeerClose(), "the edge closed its idle origin connection");
    assertNotEquals(0, origin.connectionCount());
  }
}
