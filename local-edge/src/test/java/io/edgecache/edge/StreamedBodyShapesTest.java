package io.edgecache.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.util.Durations;
import io.edgecache.edge.config.EnvoyBootstrapLoader;
import io.edgecache.edge.config.HttpTimeouts;
import io.edgecache.edge.config.LocalEdgeConfig;
import io.edgecache.edge.config.RouteConfig;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The body messages a STREAMED processor gets for an origin's Content-Length body, as Envoy
 * shapes them: its HTTP/1 codec hands on the bytes as data and the end as an empty end_stream
 * buffer of its own, and its ext_proc filter sends what arrived while the headers were with the
 * processor as one message, the whole body with end_of_stream when all of it had come
 * ({@code ProcessorState::handleHeadersResponse}).
 */
@Timeout(60)
class StreamedBodyShapesTest {
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration PATIENT = Duration.ofSeconds(10);

  private final ScriptedExtProcServer processor;
  private final RawOrigin origin;
  private LocalEdge edge;
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  StreamedBodyShapesTest() throws Exception {
    processor = new ScriptedExtProcServer();
    origin = new RawOrigin((connection, head) -> { });
  }

  private void startEdge(Duration messageTimeout) throws Exception {
    startEdge(messageTimeout, HttpTimeouts.DEFAULTS);
  }

  private void startEdge(Duration messageTimeout, HttpTimeouts timeouts) throws Exception {
    startEdge(messageTimeout, timeouts, BodySendMode.NONE);
  }

  private void startEdge(Duration messageTimeout, HttpTimeouts timeouts, BodySendMode requestBodies)
      throws Exception {
    var filter = EnvoyBootstrapLoader.loadExternalProcessor(RepoFiles.envoyYaml());
    edge = LocalEdge.start(LocalEdgeConfig.builder()
        .warmUpProcessor(false)
        .listen("127.0.0.1", 0)
        .externalProcessor(filter.toBuilder()
            .setFailureModeAllow(false)
            .setMessageTimeout(Durations.fromNanos(messageTimeout.toNanos()))
            .setProcessingMode(filter.getProcessingMode().toBuilder()
                .setRequestBodyMode(requestBodies)
                .setResponseBodyMode(BodySendMode.STREAMED))
            .build())
        .extProcTarget("127.0.0.1", processor.port())
        .route(RouteConfig.of("*", "/", origin.url()))
        .timeouts(timeouts)
        .build());
  }

  @AfterEach
  void stop() throws Exception {
    edge.close();
    processor.close();
    origin.close();
  }

  /** Head and body in one write reach the edge together: the body is held, then one message. */
  @Test
  void aBodyThatCameWithItsHeadIsOneMessageEndingTheStream() throws Exception {
    originSendsHeadAndBodyAtOnce();
    startEdge(PATIENT);

    assertEquals("hello world", get("/together"));
    assertEquals(List.of("hello world|end"), responseBodyMessages());
  }

  /**
   * When the whole body came while the headers were with the processor, Envoy sends it as if
   * buffering (BufferedBodyCallback) and holds the head until that message is answered, so the
   * answer's header mutation applies, and a processor that never answers it gets the client a
   * 504 local reply (the response has not begun), not a reset.
   */
  @Test
  void aWholeBodyHeldWithItsHeadKeepsTheHeadUntilItsAnswer() throws Exception {
    originSendsHeadAndBodyAtOnce();
    processor.script((request, out) -> {
      if (!request.hasResponseBody()) {
        out.onNext(ScriptedExtProcServer.continueAnswer(request));
        return;
      }
      out.onNext(ProcessingResponse.newBuilder().setResponseBody(BodyResponse.newBuilder()
          .setResponse(CommonResponse.newBuilder().setHeaderMutation(HeaderMutation.newBuilder()
              .addSetHeaders(HeaderValueOption.newBuilder().setHeader(HeaderValue.newBuilder()
                  .setKey("x-after-body").setRawValue(ByteString.copyFromUtf8("seen")))))))
          .build());
    });
    startEdge(PATIENT);

    HttpResponse<String> response = send("/whole");
    assertEquals("hello world", response.body());
    assertEquals("seen", response.headers().firstValue("x-after-body").orElse(null));
  }

  @Test
  void aWholeBodyHeldWithItsHeadAndNeverAnsweredIsA504() throws Exception {
    originSendsHeadAndBodyAtOnce();
    processor.script((request, out) -> {
      if (!request.hasResponseBody()) {
        out.onNext(ScriptedExtProcServer.continueAnswer(request));
      }
    });
    startEdge(Duration.ofSeconds(1));

    HttpResponse<String> response = send("/unanswered");
    assertEquals(504, response.statusCode());
    assertEquals(1, edge.processorStats().messageTimeouts());
  }

  /**
   * A body whose rest comes after the headers were answered: the part held so far as the first
   * chunk, the rest as it comes, and the end as an empty end_of_stream chunk of its own.
   */
  @Test
  void aBodyThatComesLaterEndsWithAnEmptyEndOfStreamChunk() throws Exception {
    CountDownLatch firstChunkSeen = new CountDownLatch(1);
    processor.script((request, out) -> {
      out.onNext(ScriptedExtProcServer.continueAnswer(request));
      if (request.hasResponseBody()) {
        firstChunkSeen.countDown();
      }
    });
    originSendsTheRestOnce(firstChunkSeen);
    startEdge(PATIENT);

    assertEquals("first-last", get("/later"));
    assertEquals(List.of("first|more", "-last|more", "|end"), responseBodyMessages());
  }

  /**
   * Envoy's message timer is per direction and every answer stops it (onFinishProcessorCall),
   * even while later STREAMED chunks are unanswered; only the next message sent starts it
   * again. So chunks answered well past message_timeout, after an answer that came once all of
   * them were sent, do not time out behind Envoy.
   */
  @Test
  void anAnswerStopsTheTimerThoughLaterChunksAreUnanswered() throws Exception {
    // Long enough for a cold JVM's round trips between the chunks (a timer runs in those).
    Duration messageTimeout = Duration.ofSeconds(1);
    CountDownLatch firstChunkSeen = new CountDownLatch(1);
    processor.script((request, out) -> {
      if (!request.hasResponseBody()) {
        out.onNext(ScriptedExtProcServer.continueAnswer(request));
        return;
      }
      HttpBody body = request.getResponseBody();
      if (!body.getEndOfStream()) {
        firstChunkSeen.countDown(); // answered once every chunk was sent
        return;
      }
      // Everything is sent: answer the first chunk now, the other two three timeouts later.
      out.onNext(ScriptedExtProcServer.continueAnswer(request));
      CompletableFuture.runAsync(() -> {
        out.onNext(ScriptedExtProcServer.continueAnswer(request));
        out.onNext(ScriptedExtProcServer.continueAnswer(request));
      }, CompletableFuture.delayedExecutor(3 * messageTimeout.toMillis(), TimeUnit.MILLISECONDS));
    });
    originSendsTheRestOnce(firstChunkSeen);
    startEdge(messageTimeout);

    assertEquals("first-last", get("/late-answers"));
    assertEquals(List.of("first|more", "-last|more", "|end"), responseBodyMessages());
    assertEquals(0, edge.processorStats().messageTimeouts());
  }

  /**
   * What then bounds a processor that answers the first chunk and goes silent: no message timer
   * runs (as in Envoy), and the origin's response is complete, so the route timeout is over too;
   * the stream idle timeout ends the exchange, resetting the client, whose response had begun.
   */
  @Test
  void aProcessorSilentAfterOneAnswerIsEndedByTheStreamIdleTimeout() throws Exception {
    CountDownLatch firstChunkSeen = new CountDownLatch(1);
    processor.script((request, out) -> {
      if (!request.hasResponseBody()) {
        out.onNext(ScriptedExtProcServer.continueAnswer(request));
      } else if (!request.getResponseBody().getEndOfStream()) {
        firstChunkSeen.countDown();
      } else {
        out.onNext(ScriptedExtProcServer.continueAnswer(request)); // the first chunk's; no more
      }
    });
    originSendsTheRestOnce(firstChunkSeen);
    startEdge(Duration.ofSeconds(1), new HttpTimeouts(HttpTimeouts.DEFAULTS.requestHeaders(),
        Duration.ofSeconds(1), HttpTimeouts.DEFAULTS.connectionIdle(),
        HttpTimeouts.DEFAULTS.originIdle()));

    IOException cut = assertThrows(IOException.class, () -> get("/silent-processor"));
    assertFalse(cut instanceof HttpTimeoutException, "the edge ended it, not the client: " + cut);
  }

  /**
   * Each direction is its own ProcessorState in Envoy, and an answer is matched against its own
   * direction only: an origin that answers before its request body went on (the body's chunk is
   * still with the processor) gets its response headers answered first. One queue for both
   * directions took that answer for a spurious one. The request body is chunked and its end
   * comes only once the response is read: a whole body held with the headers would hold the
   * request head too.
   */
  @Test
  void answersOfTheTwoDirectionsMayInterleave() throws Exception {
    CountDownLatch bodySeen = new CountDownLatch(1);
    List<ProcessingRequest> heldBodies = new ArrayList<>(); // the stream's calls are serial
    AtomicBoolean responseHeadersAnswered = new AtomicBoolean();
    processor.script((request, out) -> {
      if (request.hasRequestBody() && !responseHeadersAnswered.get()) {
        heldBodies.add(request); // answered only after the response headers
        bodySeen.countDown();
        return;
      }
      out.onNext(ScriptedExtProcServer.continueAnswer(request));
      if (request.hasResponseHeaders()) {
        responseHeadersAnswered.set(true);
        heldBodies.forEach(body -> out.onNext(ScriptedExtProcServer.continueAnswer(body)));
      }
    });
    origin.script((connection, head) -> {
      try {
        assertTrue(bodySeen.await(10, TimeUnit.SECONDS), "the body chunk reached the processor");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      connection.send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nearly");
    });
    startEdge(PATIENT, HttpTimeouts.DEFAULTS, BodySendMode.STREAMED);

    try (RawClient client = new RawClient(edge.port())) {
      client.send("POST /early HTTP/1.1\r\nHost: edge.test\r\nTransfer-Encoding: chunked\r\n\r\n"
          + "5\r\nhello\r\n");
      RawClient.Response response = client.read();
      assertEquals(200, response.status());
      assertEquals("early", response.body());
      client.send("0\r\n\r\n");
    }
    assertEquals(0, edge.processorStats().spuriousMsgsReceived());
  }

  /** The origin writes its head and its whole body ("hello world") in one write. */
  private void originSendsHeadAndBodyAtOnce() {
    origin.script((connection, head) ->
        connection.send("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world"));
  }

  /** The origin sends "first" with its head, then "-last" once {@code firstChunkSeen} opens. */
  private void originSendsTheRestOnce(CountDownLatch firstChunkSeen) {
    origin.script((connection, head) -> {
      connection.send("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nfirst");
      try {
        assertTrue(firstChunkSeen.await(10, TimeUnit.SECONDS), "the first chunk reached the processor");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      connection.send("-last");
    });
  }

  private String get(String path) throws Exception {
    HttpResponse<String> response = send(path);
    assertEquals(200, response.statusCode());
    return response.body();
  }

  private HttpResponse<String> send(String path) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + path))
            .timeout(REQUEST_TIMEOUT).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Each response body message as "bytes|end" or "bytes|more"; all were answered by now. */
  private List<String> responseBodyMessages() {
    return processor.received.stream().filter(ProcessingRequest::hasResponseBody)
        .map(ProcessingRequest::getResponseBody)
        .map((HttpBody body) -> body.getBody().toStringUtf8() + (body.getEndOfStream() ? "|end" : "|more"))
        .toList();
  }
}
