package io.edgecache.edge.http;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The start line and headers of a request or response as Envoy's header map holds them:
 * pseudo-headers ({@code :method}, {@code :path}, {@code :authority}, {@code :scheme} or
 * {@code :status}) plus regular headers with lower-case names and hop-by-hop headers removed.
 * This is what the ext_proc server sees and mutates.
 */
public final class MessageHead {
  public static final String METHOD = ":method";
  public static final String PATH = ":path";
  public static final String AUTHORITY = ":authority";
  public static final String SCHEME = ":scheme";
  public static final String STATUS = ":status";

  private static final List<String> HOP_BY_HOP = List.of(
      "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade");
  private static final String TRAILERS = "trailers";
  private static final List<String> RESPONSE_HOP_BY_HOP = List.of(
      "connection", "upgrade", "transfer-encoding", "keep-alive", "proxy-connection");

  private final Map<String, String> pseudo = new LinkedHashMap<>();
  private final HttpHeaders headers = new DefaultHttpHeaders(false);

  /** A response head with only its {@code :status}. */
  static MessageHead withStatus(int status) {
    MessageHead head = new MessageHead();
    head.setPseudo(STATUS, Integer.toString(status));
    return head;
  }

  /** Pseudo-header value, or null. */
  public String pseudo(String name) {
    return pseudo.get(name);
  }

  public void setPseudo(String name, String value) {
    pseudo.put(name, value);
  }

  /** Regular headers (never pseudo-headers). */
  public HttpHeaders headers() {
    return headers;
  }

  /** Response status from {@code :status}. */
  public int status() {
    return Integer.parseInt(pseudo.get(STATUS));
  }

  /** How many header lines, pseudo-headers included, as Envoy's {@code HeaderMap::size} counts. */
  public int size() {
    return pseudo.size() + headers.size();
  }

  /** Bytes of names and values, pseudo-headers included, as Envoy's {@code HeaderMap::byteSize}. */
  public long byteSize() {
    long bytes = 0;
    for (Map.Entry<String, String> header : pseudo.entrySet()) {
      bytes += header.getKey().length() + header.getValue().length();
    }
    for (Map.Entry<String, String> header : headers) {
      bytes += header.getKey().length() + header.getValue().length();
    }
    return bytes;
  }

  /**
   * Copies a client request's headers as Envoy's HTTP/1 server codec and its connection manager
   * hand them to the filter chain: without hop-by-hop headers (Connection, those it names, the
   * fixed set: the codec's sanitizeConnectionHeader and mutateRequestHeaders) except a TE that
   * offers trailers, kept as {@code te: trailers}, and with repeated lines of an inline header
   * joined (see {@link EnvoyInlineHeaders}).
   */
  public void copyRequestHeaders(HttpHeaders from) {
    Set<String> namedByConnection = new HashSet<>();
    for (String token : tokens(from.getAll(HttpHeaderNames.CONNECTION))) {
      namedByConnection.add(token.toLowerCase(Locale.ROOT));
    }
    for (Map.Entry<String, String> header : from) {
      String name = header.getKey().toLowerCase(Locale.ROOT);
      if (HOP_BY_HOP.contains(name) || namedByConnection.contains(name)) {
        continue;
      }
      EnvoyInlineHeaders.REQUEST.add(headers, name, header.getValue());
    }
    if (tokens(from.getAll(HttpHeaderNames.TE)).contains(TRAILERS)) {
      // mutateRequestHeaders' sanitizeTEHeader (envoyproxy/envoy pull 32255): a TE that offers
      // trailers becomes exactly that; any other TE is removed.
      headers.set(HttpHeaderNames.TE, TRAILERS);
    }
  }

  /** The comma-separated tokens of every line of a list-valued header, trimmed. */
  private static List<String> tokens(List<String> lines) {
    List<String> tokens = new ArrayList<>();
    for (String line : lines) {
      for (String token : line.split(",")) {
        tokens.add(token.trim());
      }
    }
    return tokens;
  }

  /**
   * Copies an origin's response headers as Envoy's HTTP/1 client codec hands them to the filter
   * chain: every line, hop-by-hop ones included (the connection manager removes those only when
   * it writes the response to the client, after the filters: {@link #removeResponseHopByHop}),
   * with repeated lines of an inline header joined (see {@link EnvoyInlineHeaders}).
   */
  public void copyResponseHeaders(HttpHeaders from) {
    for (Map.Entry<String, String> header : from) {
      EnvoyInlineHeaders.RESPONSE.add(headers, header.getKey().toLowerCase(Locale.ROOT),
          header.getValue());
    }
  }

  /**
   * What Envoy's {@code ConnectionManagerUtility::mutateResponseHeaders} removes from every
   * response after the filter chain, before its codec frames it for the client. Not the headers
   * Connection names, nor TE or Trailer: Envoy passes those on.
   */
  static void removeResponseHopByHop(HttpHeaders response) {
    for (String name : RESPONSE_HOP_BY_HOP) {
      response.remove(name);
    }
  }

  /** The ext_proc form: pseudo-headers first, values as {@code raw_value} bytes like newer Envoys. */
  public HeaderMap toProto() {
    HeaderMap.Builder map = HeaderMap.newBuilder();
    pseudo.forEach((name, value) -> map.addHeaders(header(name, value)));
    for (Map.Entry<String, String> header : headers) {
      map.addHeaders(header(header.getKey(), header.getValue()));
    }
    return map.build();
  }

  private static HeaderValue header(String name, String value) {
    // Netty keeps header bytes as ISO-8859-1 chars, so this round-trips the wire bytes.
    return HeaderValue.newBuilder()
        .setKey(name)
        .setRawValue(ByteString.copyFrom(value, StandardCharsets.ISO_8859_1))
        .build();
  }
}
