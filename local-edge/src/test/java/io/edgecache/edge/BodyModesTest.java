package io.edgecache.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.util.Durations;
import io.edgecache.edge.config.EnvoyBootstrapLoader;
import io.edgecache.edge.config.LocalEdgeConfig;
import io.edgecache.edge.config.RouteConfig;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Request bodies in BUFFERED mode and large bodies streamed through with backpressure. */
@Timeout(60)
class BodyModesTest {
  private ScriptedExtProcServer processor;
  private TestOrigin origin;
  private LocalEdge edge;
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void setUp() throws Exception {
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

  private void startEdge(ProcessingMode mode, int bufferLimit) throws Exception {
    ExternalProcessor filter = EnvoyBootstrapLoader.loadExternalProcessor(RepoFiles.envoyYaml()).toBuilder()
        .setFailureModeAllow(false)
        .setMessageTimeout(Durations.fromSeconds(5))
        .setProcessingMode(mode)
        .build();
    edge = LocalEdge.start(LocalEdgeConfig.builder()
        .warmUpProcessor(false)
        .externalProcessor(filter)
        .extProcTarget("127.0.0.1", processor.port())
        .bufferLimitBytes(bufferLimit)
        // A route timeout (Envoy's covers the whole response) that fits 64 MiB each way through
        // STREAMED processing on a loaded machine; the default 15 s cut the response off there.
        .route(new RouteConfig("*", "/", java.net.URI.create(origin.url()), java.time.Duration.ofMinutes(2)))
        .build());
  }

  /**
   * A BUFFERED body mutation must match the Content-Length the head declares after the same
   * answer's header mutation (ProcessorState::handleBodyResponse, BufferedBodyCallback): one that
   * sets the new length goes through with it; one that leaves the old length is refused, 500
   * "mismatch between content length and the length of the mutated body", and nothing reaches
   * the origin. (Envoys before that check removed Content-Length instead.)
   */
  @Test
  void aBufferedBodyMutationMustMatchTheDeclaredLength() throws Exception {
    startEdge(ProcessingMode.newBuilder().setRequestBodyMode(BodySendMode.BUFFERED).build(), 1 << 20);
    processor.script((request, out) -> {
      if (!request.hasRequestBody()) {
        out.onNext(ScriptedExtProcServer.continueAnswer(request));
        return;
      }
      String body = request.getRequestBody().getBody().toStringUtf8() + "+processed";
      CommonResponse.Builder answer = CommonResponse.newBuilder()
          .setBodyMutation(BodyMutation.newBuilder().setBody(ByteString.copyFromUtf8(body)));
      if (request.getRequestBody().getBody().toStringUtf8().equals("declared")) {
        answer.setHeaderMutation(HeaderMutation.newBuilder().addSetHeaders(HeaderValueOption
            .newBuilder().setHeader(HeaderValue.newBuilder().setKey("content-length")
                .setRawValue(ByteString.copyFromUtf8(Integer.toString(body.length()))))));
      }
      out.onNext(ProcessingResponse.newBuilder()
          .setRequestBody(BodyResponse.newBuilder().setResponse(answer)).build());
    });
    origin.handler(exchange -> TestOrigin.respond(exchange, 200,
        exchange.getRequestHeaders().getFirst("content-length") + ":" + new String(exchange.getRequestBody().readAllBytes())));

    HttpResponse<String> declared = post("declared");
    assertEquals(200, declared.statusCode());
    assertEquals("18:declared+processed", declared.body());

    HttpResponse<String> stale = post("stale");
    assertEquals(500, stale.statusCode());
    origin.next(); // the first request's
    assertTrue(origin.received.isEmpty(), "the refused request never reached the origin");
  }

  /**
   * With the request headers skipped, Envoy removes a BUFFERED request's Content-Length
   * (shouldRemoveContentLength) and skips a Content-Length line in the body answer's header
   * mutation as it would in a headers answer (processHeaderMutation asks it each time): the
   * mutated body goes to the origin chunked, whatever length the processor wrote.
   */
  @Test
  void aBodyAnswersContentLengthIsSkippedWhenTheHeadersWereSkipped() throws Exception {
    startEdge(ProcessingMode.newBuilder().setRequestHeaderMode(ProcessingMode.HeaderSendMode.SKIP)
        .setRequestBodyMode(BodySendMode.BUFFERED).build(), 1 << 20);
    processor.script((request, out) -> {
      if (!request.hasRequestBody()) {
        out.onNext(ScriptedExtProcServer.continueAnswer(request));
        return;
      }
      out.onNext(ProcessingResponse.newBuilder().setRequestBody(BodyResponse.newBuilder()
          .setResponse(CommonResponse.newBuilder()
              .setHeaderMutation(HeaderMutation.newBuilder().addSetHeaders(HeaderValueOption
                  .newBuilder().setHeader(HeaderValue.newBuilder().setKey("content-length")
                      .setRawValue(ByteString.copyFromUtf8("99")))))
              .setBodyMutation(BodyMutation.newBuilder()
                  .setBody(ByteString.copyFromUtf8("payload+processed"))))).build());
    });
    origin.handler(exchange -> TestOrigin.respond(exchange, 200,
        exchange.getRequestHeaders().getFirst("content-length") + ":" + new String(exchange.getRequestBody().readAllBytes())));

    HttpResponse<String> response = post("payload");
    assertEquals(200, response.statusCode());
    assertEquals("null:payload+processed", response.body());
  }

  private HttpResponse<String> post(String body) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + "/post"))
        .POST(HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void bufferedRequestOverLimitIs413() throws Exception {
    startEdge(ProcessingMode.newBuilder().setRequestBodyMode(BodySendMode.BUFFERED).build(), 1024);
    HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + "/post"))
        .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[64 * 1024])).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(413, response.statusCode());
  }

  @Test
  void largeBodiesStreamBothWaysWithSmallBufferLimit() throws Exception {
    // 64 MiB each way through a 64 KiB buffer limit: only flow control makes this pass.
    startEdge(ProcessingMode.newBuilder().setResponseBodyMode(BodySendMode.STREAMED).build(), 64 * 1024);
    int size = 64 << 20;
    origin.handler(exchange -> {
      byte[] in = exchange.getRequestBody().readAllBytes();
      exchange.sendResponseHeaders(200, in.length);
      exchange.getResponseBody().write(in);
    });
    byte[] payload = new byte[size];
    for (int i = 0; i < size; i++) {
      payload[i] = (byte) (i * 31);
    }
    HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + "/echo"))
        .POST(HttpRequest.BodyPublishers.ofByteArray(payload)).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals(200, response.statusCode());
    assertEquals(size, response.body().length);
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    assertEquals(Arrays.toString(sha.digest(payload)), Arrays.toString(MessageDigest.getInstance("SHA-256").digest(response.body())));
  }
}
