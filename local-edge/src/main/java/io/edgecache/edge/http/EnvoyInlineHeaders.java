package io.edgecache.edge.http;

import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The header names Envoy's header maps hold "inline", in one slot per name: a codec that reads a
 * second line of such a name appends its value to the first with a comma and no space
 * ({@code HeaderMapImpl::insertByKey}, {@code appendToHeader}), where any other name keeps one
 * line per occurrence. So behind Envoy a processor, an origin and a client see
 * {@code cache-control: max-age=60,public} for two Cache-Control lines, and {@code date: A,B}
 * for two Date lines (envoyproxy/envoy issues 9019, {@code content-type: text/plain,text/plain},
 * and 9318, joined Last-Modified and Location lines).
 *
 * <p>The names are Envoy's core ones ({@code INLINE_REQ_HEADERS}, {@code INLINE_RESP_HEADERS},
 * {@code INLINE_REQ_RESP_HEADERS} and {@code INLINE_RESP_HEADERS_TRAILERS} in
 * {@code envoy/http/header_map.h}) plus the custom inline headers that the cache, compressor
 * and CORS filters register (every standard Envoy build links them; an extension linked into
 * a custom build may register more). Envoy's own {@code x-envoy-*} names are left out: a
 * client's are removed before the filter chain, and origins do not send them.
 */
final class EnvoyInlineHeaders {

  private static final Set<String> BOTH = Set.of(
      "connection", "content-type", "keep-alive", "proxy-connection", "proxy-status",
      "x-request-id", "transfer-encoding", "upgrade", "via", "content-length");

  static final EnvoyInlineHeaders REQUEST = new EnvoyInlineHeaders(Set.of(
      // core
      "x-client-trace-id", "expect", "x-forwarded-client-cert", "x-forwarded-for",
      "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "grpc-timeout", "host", "te",
      "user-agent",
      // the cache filter
      "authorization", "pragma", "cache-control", "if-match", "if-none-match",
      "if-modified-since", "if-unmodified-since", "if-range",
      // the compressor filter
      "accept-encoding", "content-encoding",
      // the CORS filter
      "origin", "access-control-request-method", "access-control-request-headers"));

  static final EnvoyInlineHeaders RESPONSE = new EnvoyInlineHeaders(Set.of(
      // core
      "date", "location", "server", "grpc-message", "grpc-status",
      // the cache and compressor filters
      "cache-control", "etag", "last-modified", "vary", "content-encoding",
      // the CORS filter
      "access-control-allow-origin", "access-control-allow-credentials",
      "access-control-allow-methods", "access-control-allow-headers", "access-control-max-age",
      "access-control-expose-headers"));

  private final Set<String> names;

  private EnvoyInlineHeaders(Set<String> ownNames) {
    this.names = Stream.concat(ownNames.stream(), BOTH.stream()).collect(Collectors.toUnmodifiableSet());
  }

  /** Adds one line read from the wire to {@code headers} as Envoy's map would hold it. */
  void add(HttpHeaders headers, String lowerCaseName, String value) {
    if (!names.contains(lowerCaseName) || !headers.contains(lowerCaseName)) {
      headers.add(lowerCaseName, value);
      return;
    }
    // Rare: rebuilt so that the joined line keeps the first one's place, as Envoy's slot does.
    List<Map.Entry<String, String>> lines = headers.entries();
    headers.clear();
    for (Map.Entry<String, String> line : lines) {
      headers.add(line.getKey(), line.getKey().equals(lowerCaseName)
          ? line.getValue() + "," + value : line.getValue());
    }
  }
}
