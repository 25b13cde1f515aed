package io.edgecache.edge.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Date;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The client's side of an exchange, as Envoy's connection manager and HTTP/1 codec treat it:
 * the request head as the filter chain first sees it, and everything written back (interim
 * responses, the processed response, local replies) with the connection kept or closed after
 * it. Confined to the client connection's event loop.
 */
final class ClientLeg implements MessageSink {
  /** Envoy's default server_name, which it writes as every response's Server. */
  private static final String ENVOY_SERVER_NAME = "envoy";

  /**
   * What Envoy removes from an edge request before any filter: the x-envoy-* headers of
   * ConnectionManagerUtility::cleanInternalHeaders, x-envoy-internal, and x-forwarded-client-cert.
   */
  private static final List<String> EDGE_REMOVED = List.of(
      "x-envoy-decorator-operation", "x-envoy-downstream-service-cluster",
      "x-envoy-downstream-service-node", "x-envoy-retriable-status-codes",
      "x-envoy-retriable-header-names", "x-envoy-retry-on", "x-envoy-retry-grpc-on",
      "x-envoy-max-retries", "x-envoy-upstream-alt-stat-name", "x-envoy-upstream-rq-timeout-ms",
      "x-envoy-upstream-rq-per-try-timeout-ms", "x-envoy-upstream-rq-timeout-alt-response",
      "x-envoy-expected-rq-timeout-ms", "x-envoy-force-trace", "x-envoy-ip-tags",
      "x-envoy-original-url", "x-envoy-hedge-on-per-try-timeout", "x-envoy-internal",
      "x-forwarded-client-cert");

  private final Channel client;
  private final DownstreamHandler connection;
  private final HttpRequest request;
  private final boolean headRequest;
  private final boolean keepAliveRequested;
  private final Runnable onResponseStarted;
  private final Runnable onResponseComplete;
  private boolean requestReceived;
  private boolean interimForwarded;

  /**
   * @param onResponseStarted the processed response's head was written
   * @param onResponseComplete its last byte was written
   */
  ClientLeg(Channel client, DownstreamHandler connection, HttpRequest request, Runnable onResponseStarted,
      Runnable onResponseComplete) {
    this.client = client;
    this.connection = connection;
    this.request = request;
    this.headRequest = HttpMethod.HEAD.equals(request.method());
    this.keepAliveRequested = HttpUtil.isKeepAlive(request); // HTTP/1.1: the codec refused 1.0
    this.onResponseStarted = onResponseStarted;
    this.onResponseComplete = onResponseComplete;
    // Envoy's codec ends a bodiless request with its headers (decodeHeaders with end_stream), so
    // a reply given at once, before any filter, leaves the connection open.
    this.requestReceived = !requestHasBody();
  }

  boolean headRequest() {
    return headRequest;
  }

  /** The request head as the filter chain sees it, for the normalised {@code target}. */
  MessageHead requestHead(RequestTarget target) {
    MessageHead head = new MessageHead();
    head.setPseudo(MessageHead.METHOD, request.method().name());
    head.setPseudo(MessageHead.PATH, target.path());
    head.setPseudo(MessageHead.AUTHORITY, target.authority());
    head.setPseudo(MessageHead.SCHEME, target.scheme());
    head.copyRequestHeaders(request.headers());
    // Envoy keeps Host only as :authority, and adds these before any filter runs.
    head.headers().remove(HttpHeaderNames.HOST);
    // envoy/envoy.yaml's use_remote_address with no trusted hops (ConnectionManagerUtility::
    // mutateRequestHeaders): the client is no proxy, so its x-forwarded-proto is overwritten
    // from the connection, and its address is appended to x-forwarded-for (for a loopback
    // client Envoy appends its own address; local-edge appends the one it was reached on).
    head.headers().set("x-forwarded-proto", "http");
    List<String> forwardedFor = head.headers().getAll("x-forwarded-for");
    String peer = peerForXff();
    head.headers().set("x-forwarded-for",
        forwardedFor.isEmpty() ? peer : String.join(",", forwardedFor) + "," + peer);
    // An edge request (use_remote_address, and Envoy >= 1.36 counts no address internal unless
    // internal_address_config says so; envoy.yaml does not): mutateRequestHeaders drops what only
    // Envoy may set (cleanInternalHeaders), names the client in x-envoy-external-address, drops a
    // client certificate header on a connection without one (forward_client_cert_details
    // SANITIZE), and always sets a request id of its own.
    removeWhatOnlyEnvoySets(head.headers());
    head.headers().set("x-envoy-external-address",
        ((InetSocketAddress) client.remoteAddress()).getAddress().getHostAddress());
    head.headers().set("x-request-id", requestId());
    return head;
  }

  /**
   * Removes {@link #EDGE_REMOVED}, and a Referer unless it is one valid URL (mutateRequestHeaders).
   * One pass over the names first: most requests carry none of them, and then nothing is
   * removed or allocated.
   */
  private static void removeWhatOnlyEnvoySets(HttpHeaders headers) {
    boolean envoys = false;
    int referers = 0;
    for (Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence();
        it.hasNext(); ) {
      CharSequence name = it.next().getKey(); // lower case: copyRequestHeaders wrote them so
      if (AsciiString.regionMatches(name, false, 0, "x-envoy-", 0, 8)
          || AsciiString.contentEquals(name, "x-forwarded-client-cert")) {
        envoys = true;
      } else if (AsciiString.contentEquals(name, "referer")) {
        referers++;
      }
    }
    if (envoys) {
      EDGE_REMOVED.forEach(headers::remove);
    }
    if (referers > 1 || (referers == 1 && !isAbsoluteUrl(headers.get("referer")))) {
      headers.remove("referer");
    }
  }

  private static boolean isAbsoluteUrl(String value) {
    try {
      URI uri = new URI(value);
      return uri.getScheme() != null && uri.getHost() != null;
    } catch (URISyntaxException e) {
      return false;
    }
  }

  private String peerForXff() {
    InetSocketAddress remote = (InetSocketAddress) client.remoteAddress();
    InetSocketAddress seen = remote.getAddress().isLoopbackAddress()
        ? (InetSocketAddress) client.localAddress() : remote;
    return seen.getAddress().getHostAddress();
  }

  /** Whether a response head for this request announces a body (none to HEAD, 204 or 304). */
  boolean responseHasBody(HttpResponse response) {
    return !headRequest && Http1Framing.responseMayCarryBody(response.status().code())
        && (HttpUtil.isTransferEncodingChunked(response) || HttpUtil.getContentLength(response, -1L) != 0);
  }

  boolean requestHasBody() {
    return HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;
  }

  /**
   * A random (version 4) UUID like Envoy's x-request-id. It identifies, it does not protect,
   * so it comes from the thread's fast generator rather than SecureRandom, which showed up in
   * the per-request profile.
   */
  private static String requestId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long high = (random.nextLong() & ~0xF000L) | 0x4000L;
    long low = (random.nextLong() & ~(0xC000L << 48)) | (0x8000L << 48);
    return new UUID(high, low).toString();
  }

  /** The client's request ended; only then may the connection carry another. */
  void requestReceived() {
    requestReceived = true;
  }

  private boolean keepAlive() {
    return keepAliveRequested && requestReceived;
  }

  /**
   * Envoy hands an origin's 1xx straight to the client, past the filter chain (ext_proc does not
   * see it, so it is never stored), and only the first of a response's 1xx (envoyproxy/envoy
   * issue 19044). 100 Continue is not forwarded: Envoy answered the client's Expect itself
   * (proxy_100_continue off).
   */
  void forwardInterim(HttpResponse response) {
    int status = response.status().code();
    if (interimForwarded || status == 100 || status == 101) {
      return;
    }
    interimForwarded = true;
    MessageHead head = new MessageHead();
    head.copyResponseHeaders(response.headers());
    MessageHead.removeResponseHopByHop(head.headers());
    connection.writeInterim(response.status(), head.headers());
  }

  @Override
  public void head(MessageHead head, boolean hasBody) {
    onResponseStarted.run();
    HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(head.status()));
    response.headers().add(head.headers());
    finishHeaders(response.headers());
    if (!headRequest) {
      Http1Framing.frame(response.headers(), hasBody, Http1Framing.responseMayCarryBody(head.status()));
    }
    if (!keepAlive()) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    if (hasBody) {
      client.writeAndFlush(response);
    } else {
      client.write(response);
      client.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
      onResponseComplete.run();
    }
  }

  @Override
  public void body(ByteBuf chunk, boolean last) {
    client.writeAndFlush(last ? new DefaultLastHttpContent(chunk) : new DefaultHttpContent(chunk));
    if (last) {
      onResponseComplete.run();
    }
  }

  @Override
  public boolean writable() {
    return client.isWritable();
  }

  /**
   * Writes {@code head} and {@code body} as a reply of local-edge's own, framed as Envoy's
   * {@code Utility::prepareLocalReply} and {@code encodeLocalReply} do: a non-empty body sets
   * Content-Length to its size and Content-Type to text/plain when none was given; an empty
   * body removes both; a HEAD request gets the headers only. Takes ownership of {@code body}.
   */
  void writeLocalReply(MessageHead head, ByteBuf body) {
    HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(head.status()));
    response.headers().add(head.headers());
    finishHeaders(response.headers());
    if (body.isReadable()) {
      response.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
      if (!response.headers().contains(HttpHeaderNames.CONTENT_TYPE)) {
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
      }
    } else {
      response.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
      response.headers().remove(HttpHeaderNames.CONTENT_TYPE);
      if (!headRequest) {
        Http1Framing.frame(response.headers(), false, Http1Framing.responseMayCarryBody(head.status()));
      }
    }
    boolean keepAlive = keepAlive();
    if (!keepAlive) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    client.write(response);
    if (headRequest) {
      body.release();
      client.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    } else {
      client.writeAndFlush(new DefaultLastHttpContent(body));
    }
    connection.exchangeDone(keepAlive);
  }

  /**
   * What Envoy's connection manager does to every final response after the filter chain
   * ({@code ActiveStream::encodeHeaders}): mutateResponseHeaders' hop-by-hop removal, a Date
   * when the response has none (an origin's is kept), and Server set to its server_name, "envoy"
   * ({@code server_header_transformation} OVERWRITE, which envoy.yaml and the pushed listeners
   * leave as it is).
   */
  private static void finishHeaders(HttpHeaders response) {
    MessageHead.removeResponseHopByHop(response);
    if (!response.contains(HttpHeaderNames.DATE)) {
      response.set(HttpHeaderNames.DATE, DateFormatter.format(new Date()));
    }
    response.set(HttpHeaderNames.SERVER, ENVOY_SERVER_NAME);
  }

  /** The processed response was written whole: the connection may carry the next request. */
  void responseWritten() {
    connection.exchangeDone(keepAlive());
  }

  /** Gives up on the client: resets its connection (used after the response started). */
  void reset() {
    client.close();
  }
}
