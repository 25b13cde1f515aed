package io.edgecache.edge.http;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.AsciiString;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A client's request head as Envoy's filter chain first sees it: what the connection manager
 * adds and removes before any filter runs ({@code ConnectionManagerUtility::mutateRequestHeaders}),
 * as envoy/envoy.yaml configures it.
 */
final class EdgeRequestHead {
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

  private EdgeRequestHead() {}

  /** The head of {@code request}, arrived on {@code client}, for the normalised {@code target}. */
  static MessageHead of(HttpRequest request, RequestTarget target, Channel client) {
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
    String peer = peerForXff(client);
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

  private static String peerForXff(Channel client) {
    InetSocketAddress remote = (InetSocketAddress) client.remoteAddress();
    InetSocketAddress seen = remote.getAddress().isLoopbackAddress()
        ? (InetSocketAddress) client.localAddress() : remote;
    return seen.getAddress().getHostAddress();
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
}
