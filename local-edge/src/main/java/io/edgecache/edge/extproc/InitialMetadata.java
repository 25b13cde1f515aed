package io.edgecache.edge.extproc;

import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.grpc.Metadata;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The gRPC initial metadata of one request's ext_proc stream, as Envoy builds it: the filter's
 * {@code grpc_service.initial_metadata} with the route's
 * {@code ExtProcPerRoute.overrides.grpc_initial_metadata} merged in (a route entry replaces the
 * filter's entry of the same key, others are added: {@code Filter::mergePerRouteConfig},
 * {@code mergeHeaderValuesField}), each value then read by Envoy's header value formatter, where
 * {@code %} starts a command and {@code %%} is a literal percent sign. local-edge implements no
 * formatter command, so a value with one cannot be reproduced; that, like a lone {@code %}
 * Envoy cannot parse, makes the stream fail ({@link #problem()}).
 *
 * <p>A key ending in {@code -bin} is binary metadata: Envoy's Envoy-gRPC client base64-encodes
 * the formatted value before sending ({@code base64EscapeBinHeaders} in
 * {@code source/common/grpc/async_client_impl.cc}, since envoyproxy/envoy#39026; the Google gRPC
 * library does the same), so the formatted value's bytes are the binary value and grpc-java's
 * binary marshaller puts them on the wire in base64 exactly so. (See {@code RoutePolicyMetadata}
 * in {@code proto} for the older Envoys that sent the value as written.)
 */
public final class InitialMetadata {
  private static final InitialMetadata NONE = new InitialMetadata(new Metadata(), null);

  private final Metadata metadata;
  private final String problem;

  private InitialMetadata(Metadata metadata, String problem) {
    this.metadata = metadata;
    this.problem = problem;
  }

  /** Merges {@code perRoute} into {@code filterLevel} and formats every value. */
  public static InitialMetadata of(List<HeaderValue> filterLevel, List<HeaderValue> perRoute) {
    if (filterLevel.isEmpty() && perRoute.isEmpty()) {
      return NONE;
    }
    List<HeaderValue> merged = new ArrayList<>(filterLevel);
    for (HeaderValue entry : perRoute) {
      int existing = indexOf(merged, entry.getKey());
      if (existing >= 0) {
        merged.set(existing, entry);
      } else {
        merged.add(entry);
      }
    }
    Metadata metadata = new Metadata();
    for (HeaderValue entry : merged) {
      String value;
      try {
        value = formatted(entry.getValue());
      } catch (IllegalArgumentException e) {
        return new InitialMetadata(new Metadata(), "grpc initial metadata " + entry.getKey() + ": " + e.getMessage());
      }
      if (entry.getKey().endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
        metadata.put(Metadata.Key.of(entry.getKey(), Metadata.BINARY_BYTE_MARSHALLER),
            value.getBytes(StandardCharsets.UTF_8));
      } else {
        metadata.put(Metadata.Key.of(entry.getKey(), Metadata.ASCII_STRING_MARSHALLER), value);
      }
    }
    return new InitialMetadata(metadata, null);
  }

  /** The metadata to open the stream with (empty when {@link #problem()} is set). */
  public Metadata metadata() {
    return metadata;
  }

  /** Why Envoy's stream would fail, or null. */
  public String problem() {
    return problem;
  }

  /** A value as Envoy's formatter prints it when it holds no command: {@code %%} becomes {@code %}. */
  static String formatted(String template) {
    StringBuilder out = new StringBuilder(template.length());
    for (int i = 0; i < template.length(); i++) {
      char c = template.charAt(i);
      if (c != '%') {
        out.append(c);
      } else if (i + 1 < template.length() && template.charAt(i + 1) == '%') {
        out.append('%');
        i++;
      } else {
        throw new IllegalArgumentException("'%' at position " + i + " starts a formatter command"
            + " (write %% for a literal percent sign); local-edge implements none");
      }
    }
    return out.toString();
  }

  private static int indexOf(List<HeaderValue> entries, String key) {
    for (int i = 0; i < entries.size(); i++) {
      if (entries.get(i).getKey().equalsIgnoreCase(key)) {
        return i;
      }
    }
    return -1;
  }
}
