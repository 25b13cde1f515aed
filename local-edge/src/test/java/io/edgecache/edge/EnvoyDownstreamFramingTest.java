package io.edgecache.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.Durations;
import io.edgecache.edge.config.EnvoyBootstrapLoader;
import io.edgecache.edge.config.LocalEdgeConfig;
import io.edgecache.edge.config.RouteConfig;
import java.net.URI;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * How a client's request body is framed, as Envoy's HTTP/1 codec takes it (codec_impl.cc,
 * {@code onHeadersCompleteImpl} and the parser's errors): Content-Length together with
 * Transfer-Encoding is refused 400, a Transfer-Encoding other than exactly {@code chunked}
 * 501, a malformed chunk fails the request instead of ending its body; each closes the
 * connection, so nothing after it on the connection is read as a request (smuggling).
 */
class EnvoyDownstreamFramingTest {

  private ScriptedExtProcServer processor;
  private RawOrigin origin;
  private LocalEdge edge;

  @BeforeEach
  void setUp() throws Exception {
    processor = new ScriptedExtProcServer();
    origin = new RawOrigin((connection, head) -> connection.send(
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"));
    edge = LocalEdge.start(LocalEdgeConfig.builder()
        .warmUpProcessor(false)
        .listen("127.0.0.1", 0)
        .externalProcessor(EnvoyBootstrapLoader.loadExternalProcessor(RepoFiles.envoyYaml())
            .toBuilder().setFailureModeAllow(false)
            .setMessageTimeout(Durations.fromSeconds(10)).build())
        .extProcTarget("127.0.0.1", processor.port())
        .route(new RouteConfig("*", "/", URI.create(origin.url()), RouteConfig.DEFAULT_TIMEOUT))
        .build());
  }

  @AfterEach
  void tearDown() throws Exception {
    edge.close();
    processor.close();
    origin.close();
  }

  @Test
  void contentLengthWithTransferEncodingIsRefusedAndTheConnectionClosed() throws Exception {
    try (RawClient client = new RawClient(edge.port())) {
      client.send("POST /upload HTTP/1.1\r\nHost: edge.test\r\nContent-Length: 3\r\n"
          + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + RawClient.get("/smuggled"));
      RawClient.Response response = client.read();
      assertEquals(400, response.status(), response.head());
      assertEquals("close", response.header("connection"));
      assertTrue(client.closedByPeer(), "the pipelined request was never read");
    }
    assertEquals(0, origin.connectionCount(), "nothing reached the origin");
  }

  @ParameterizedTest
  @ValueSource(strings = {"Transfer-Encoding: xchunked", "Transfer-Encoding: chunked, identity",
      "Transfer-Encoding: gzip, chunked", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked"})
  void aTransferEncodingOtherThanChunkedIsNotImplemented(String field) throws Exception {
    try (RawClient client = new RawClient(edge.port())) {
      client.send("POST /upload HTTP/1.1\r\nHost: edge.test\r\n" + field + "\r\n\r\n"
          + "0\r\n\r\n" + RawClient.get("/smuggled"));
      RawClient.Response response = client.read();
      assertEquals(501, response.status(), response.head());
      assertTrue(client.closedByPeer(), "the pipelined request was never read");
    }
    assertEquals(0, origin.connectionCount(), "nothing reached the origin");
  }

  /**
   * Envoy's codec checks the request line as http-parser does (balsa_parser.cc isMethodValid,
   * isUrlValid): a method outside http-parser's list, or a target with a control character,
   * DEL or a byte above 0x7e, is a 400 and the connection is closed. So is an asterisk target
   * for any method but OPTIONS: ServerConnectionImpl::handlePath parses it as an absolute URL,
   * which it is not (http1.invalid_url).
   */
  @ParameterizedTest
  @ValueSource(strings = {"BREW /pot", "GET /a\u0001b", "GET /a\u007fb", "GET /caf\u00e9",
      "GET http://edge.test\u0001/x", "GET *", "HEAD *x"})
  void aRequestLineEnvoysCodecRefusesIsABadRequest(String line) throws Exception {
    try (RawClient client = new RawClient(edge.port())) {
      client.send(line + " HTTP/1.1\r\nHost: edge.test\r\n\r\n" + RawClient.get("/smuggled"));
      RawClient.Response response = client.read();
      assertEquals(400, response.status(), response.head());
      assertTrue(client.closedByPeer(), "the pipelined request was never read");
    }
    assertEquals(0, origin.connectionCount(), "nothing reached the origin");
  }

  /** The methods and targets it takes, e.g. PURGE (the edge purge), an absolute-form target and the printable characters a path may carry. */
  @ParameterizedTest
  @ValueSource(strings = {"PURGE /a", "GET http://edge.test/a?b=c%20d", "GET /a?x=\"y\"|z"})
  void aRequestLineEnvoysCodecTakesIsNotRefused(String line) throws Exception {
    try (RawClient client = new RawClient(edge.port())) {
      client.send(line + " HTTP/1.1\r\nHost: edge.test\r\n\r\n");
      assertNotEquals(400, client.read().status());
    }
  }

  /** Envoy's codec without accept_http_10, as envoy.yaml ships it: 426 and close. */
  @Test
  void http10IsRefusedWithUpgradeRequired() throws Exception {
    try (RawClient client = new RawClient(edge.port())) {
      client.send("GET /old HTTP/1.0\r\nHost: edge.test\r\nConnection: keep-alive\r\n\r\n"
          + RawClient.get("/smuggled"));
      RawClient.Response response = client.read();
      assertEquals(426, response.status(), response.head());
      assertTrue(client.closedByPeer(), "the connection was closed");
    }
    assertEquals(0, origin.connectionCount(), "nothing reached the origin");
  }

  @Test
  void chunkedInAnyCaseIsAccepted() throws Exception {
    try (RawClient client = new RawClient(edge.port())) {
      client.send("POST /upload HTTP/1.1\r\nHost: edge.test\r\nTransfer-Encoding: Chunked\r\n\r\n"
          + "0\r\n\r\n");
      assertEquals(200, client.read().status());
    }
  }

  /** Envoy's defaults: 100 headers, 60 KiB of request line and headers; past them, 431. */
  @Test
  void headersAreBoundAsEnvoyBoundsThem() throws Exception {
    try (RawClient client = new RawClient(edge.port())) {
      client.send(withHeaders(98, "x".repeat(20 * 1024)));
      assertEquals(200, client.read().status(), "100 headers, 20 KiB: within Envoy's limits");
    }
    try (RawClient client = new RawClient(edge.port())) {
      client.send(withHeaders(99, "x"));
      assertEquals(431, client.read().status(), "101 headers");
      assertTrue(client.closedByPeer());
    }
    try (RawClient client = new RawClient(edge.port())) {
      client.send(withHeaders(1, "x".repeat(61 * 1024)));
      assertEquals(431, client.read().status(), "61 KiB");
      assertTrue(client.closedByPeer());
    }
  }

  /** A GET with Host, {@code extra} headers and one of {@code bigValue}. */
  private static String withHeaders(int extra, String bigValue) {
    StringBuilder request = new StringBuilder("GET /many HTTP/1.1\r\nHost: edge.test\r\n");
    for (int i = 0; i < extra; i++) {
      request.append("X-H").append(i).append(": v\r\n");
    }
    return request.append("X-Big: ").append(bigValue).append("\r\n\r\n").toString();
  }

  @ParameterizedTest
  @ValueSource(strings = {"3\r\nabc\r\nZZ\r\nmore\r\n0\r\n\r\n", "FFFFFFFFFFFFFFFFF3\r\nabc\r\n"})
  void aMalformedChunkFailsTheRequestInsteadOfEndingItsBody(String body) throws Exception {
    try (RawClient client = new RawClient(edge.port())) {
      client.send("POST /upload HTTP/1.1\r\nHost: edge.test\r\nTransfer-Encoding: chunked\r\n\r\n"
          + body);
      RawClient.Response response = client.read();
      assertEquals(400, response.status(), response.head());
      assertTrue(client.closedByPeer(), "closed, not left waiting");
    }
  }

  /**
   * Envoy's codec takes OPTIONS' asterisk-form target as the path and its connection manager
   * answers a path that is not relative 404 (absolute_path) before any filter: the processor
   * and the origin never see it, and the connection carries on.
   */
  @Test
  void optionsAsteriskIsA404BeforeAnyFilterAndTheConnectionStays() throws Exception {
    try (RawClient client = new RawClient(edge.port())) {
      client.send("OPTIONS * HTTP/1.1\r\nHost: edge.test\r\n\r\n");
      RawClient.Response response = client.read();
      assertEquals(404, response.status(), response.head());
      assertEquals(null, response.header("connection"), response.head());

      client.send(RawClient.get("/after"));
      assertEquals(200, client.read().status());
    }
    assertEquals(1, origin.connectionCount(), "only the second request reached the origin");
    assertEquals("/after", ScriptedExtProcServer.pseudo(processor.next(), ":path"),
        "the processor's first message was the second request's");
  }
}
