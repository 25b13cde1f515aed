package io.edgecache.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.Durations;
import io.edgecache.config.ConfigException;
import io.edgecache.edge.config.EnvoyBootstrapLoader;
import io.edgecache.edge.config.LocalEdgeConfig;
import io.edgecache.edge.config.RouteConfig;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * The ext_proc filter's response_attributes, as Envoy sends them (ext_proc.cc
 * {@code Filter::addAttributes}): with the response direction's first message only, under the
 * key "envoy.filters.http.ext_proc", one field per expression; response.code_details is
 * "via_upstream" for the origin's response and the router's details for its own replies
 * (router.cc, {@code onUpstreamReset}; {@code DownstreamFilterManager::sendLocalReply} records
 * them before the reply is encoded).
 */
class ResponseAttributesTest {
  private static final String KEY = "envoy.filters.http.ext_proc";
  private static final String CODE_DETAILS = "response.code_details";
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(20);

  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  @AutoClose private final ScriptedExtProcServer processor = new ScriptedExtProcServer();
  @AutoClose private final TestOrigin origin = new TestOrigin();
  @AutoClose private LocalEdge edge;

  ResponseAttributesTest() throws Exception {}

  @Test
  void theOriginsResponseIsViaUpstreamAndOnlyItsFirstMessageCarriesTheAttributes() throws Exception {
    startEdge(f -> f.addResponseAttributes(CODE_DETAILS), RouteConfig.of("*", "/", origin.url()));

    assertEquals(200, get("/").statusCode());

    List<ProcessingRequest> received = List.copyOf(processor.received);
    assertEquals(2, received.size(), received.toString());
    assertEquals(0, received.get(0).getAttributesCount(), "request_headers: " + received.get(0));
    assertTrue(received.get(1).hasResponseHeaders());
    assertEquals("via_upstream", codeDetails(received.get(1)));
  }

  @Test
  void theRoutersNoRoute404IsRouteNotFound() throws Exception {
    startEdge(f -> f.addResponseAttributes(CODE_DETAILS), RouteConfig.of("only.example", "/", origin.url()));

    assertEquals(404, get("/").statusCode());

    assertEquals("route_not_found", codeDetails(responseHeaders()));
  }

  @Test
  void aRefusedOriginConnectionIsAnEarlyUpstreamResetWithItsTransportFailure() throws Exception {
    try (Socket dead = refusingPort()) {
      startEdge(f -> f.addResponseAttributes(CODE_DETAILS),
          RouteConfig.of("*", "/", "http://127.0.0.1:" + dead.getLocalPort()));

      HttpResponse<String> response = get("/");

      assertEquals(503, response.statusCode());
      assertEquals("upstream connect error or disconnect/reset before headers. reset reason: remote connection"
          + " failure, transport failure reason: delayed connect error: Connection refused", response.body());
      assertEquals("upstream_reset_before_response_started{remote_connection_failure"
          + "|delayed_connect_error:_Connection_refused}", codeDetails(responseHeaders()));
    }
  }

  /** With the response headers skipped, the attributes ride on the first body chunk, and only on it. */
  @Test
  void withResponseHeadersSkippedTheFirstBodyChunkCarriesThem() throws Exception {
    startEdge(f -> f.addResponseAttributes(CODE_DETAILS).setProcessingMode(f.getProcessingMode().toBuilder()
            .setResponseHeaderMode(HeaderSendMode.SKIP).setResponseBodyMode(BodySendMode.STREAMED)),
        RouteConfig.of("*", "/", origin.url()));
    origin.handler(exchange -> {
      exchange.sendResponseHeaders(200, 0); // chunked: the body comes in more than one chunk
      exchange.getResponseBody().write("first".getBytes());
      exchange.getResponseBody().flush();
      exchange.getResponseBody().write("second".getBytes());
    });

    assertEquals("firstsecond", get("/").body());

    List<ProcessingRequest> bodies = processor.received.stream().filter(ProcessingRequest::hasResponseBody).toList();
    assertFalse(bodies.isEmpty(), processor.received.toString());
    assertEquals("via_upstream", codeDetails(bodies.get(0)));
    bodies.stream().skip(1).forEach(body -> assertEquals(0, body.getAttributesCount(), body.toString()));
  }

  @Test
  void withoutResponseAttributesNoMessageCarriesAny() throws Exception {
    startEdge(f -> f, RouteConfig.of("*", "/", origin.url()));

    assertEquals(200, get("/").statusCode());

    assertEquals(2, processor.received.size());
    processor.received.forEach(message -> assertEquals(0, message.getAttributesCount(), message.toString()));
  }

  @Test
  void anAttributeLocalEdgeCannotEvaluateIsRejectedByIndexAndName() throws Exception {
    ExternalProcessor filter = shippedFilter().toBuilder()
        .addResponseAttributes(CODE_DETAILS).addResponseAttributes("response.code").build();

    ConfigException e = assertThrows(ConfigException.class, () -> LocalEdgeConfig.builder()
        .externalProcessor(filter).extProcTarget("127.0.0.1", 1)
        .route(RouteConfig.of("*", "/", origin.url())).build());

    assertTrue(e.getMessage().contains("response_attributes[1]: 'response.code'"), e.getMessage());
  }

  private void startEdge(UnaryOperator<ExternalProcessor.Builder> tweak, RouteConfig route) throws Exception {
    ExternalProcessor filter = tweak.apply(shippedFilter().toBuilder()
        .setFailureModeAllow(false).setMessageTimeout(Durations.fromSeconds(10))).build();
    edge = LocalEdge.start(LocalEdgeConfig.builder()
        .warmUpProcessor(false)
        .listen("127.0.0.1", 0)
        .externalProcessor(filter)
        .extProcTarget("127.0.0.1", processor.port())
        .route(route)
        .build());
  }

  /** envoy.yaml's filter without its response_attributes, which each test sets as it needs. */
  private static ExternalProcessor shippedFilter() throws Exception {
    return EnvoyBootstrapLoader.loadExternalProcessor(RepoFiles.envoyYaml()).toBuilder()
        .clearResponseAttributes().build();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + path))
        .timeout(REQUEST_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
  }

  private ProcessingRequest responseHeaders() {
    return processor.received.stream().filter(ProcessingRequest::hasResponseHeaders).findFirst()
        .orElseThrow(() -> new AssertionError("no response_headers: " + processor.received));
  }

  private static String codeDetails(ProcessingRequest message) {
    assertTrue(message.containsAttributes(KEY), "no attributes under " + KEY + ": " + message);
    return message.getAttributesOrThrow(KEY).getFieldsOrThrow(CODE_DETAILS).getStringValue();
  }

  /** A bound loopback socket that is not listening: connecting to it is refused. */
  private static Socket refusingPort() throws Exception {
    Socket socket = new Socket();
    socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    return socket;
  }
}
