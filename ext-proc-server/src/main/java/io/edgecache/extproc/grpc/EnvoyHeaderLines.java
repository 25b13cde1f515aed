package io.edgecache.extproc.grpc;

import io.edgecache.http.HeaderValidity;
import io.edgecache.extproc.cache.WireHeaders;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Header mutation lines as Envoy's ext_proc filter accepts them.
 *
 * <ul>
 *   <li>Envoy applies a line by its deprecated {@code append} field (default false: overwrite)
 *       and ignores {@code append_action} ({@code MutationUtils::applyHeaderMutations}), so
 *       every line says {@code append} explicitly: true only for a repeated line of a name
 *       already set by this mutation.
 *   <li>Envoy reads only {@code raw_value} and rejects a line with both {@code value} and
 *       {@code raw_value}; lines carry {@code raw_value} only.
 *   <li>A line whose name or value Envoy finds invalid ({@code HeaderUtility::headerNameIsValid},
 *       {@code headerValueIsValid}) turns the whole answer into a 500; such a line is dropped
 *       here with a FINE log instead. So are lines Envoy ignores anyway (routing headers,
 *       {@code x-envoy-*}, a repeated pseudo-header, any pseudo-header of a local reply) and, in immediate responses, Content-Length, which
 *       Envoy's local reply sets from the body itself ({@code Utility::prepareLocalReply}).
 *   <li>Envoy rejects a mutation of more than {@code max_headers_count} (100) lines or one that
 *       leaves more than 60 KiB of headers; lines beyond a margin under those limits are dropped.
 * </ul>
 */
final class EnvoyHeaderLines {
  private static final Logger log = Logger.getLogger(EnvoyHeaderLines.class.getName());

  /** Envoy's default {@code max_headers_count}, minus room for the headers Envoy adds itself. */
  static final int MAX_LINES = 95;

  /** Envoy's default {@code max_request_headers_kb} (60 KiB), minus the same margin. */
  static final int MAX_BYTES = 59 * 1024;

  /** Headers Envoy's default mutation rules ignore ({@code MutationRules::Checker}). */
  private static final Set<String> IGNORED = Set.of("host", ":authority", ":method", ":scheme");

  private final HeaderMutation.Builder mutation = HeaderMutation.newBuilder();
  private final Set<String> names = new HashSet<>();
  private final boolean localReply;
  private int bytes;

  private EnvoyHeaderLines(boolean localReply) {
    this.localReply = localReply;
  }

  /** Lines for a CONTINUE answer's header mutation. */
  static EnvoyHeaderLines forContinue() {
    return new EnvoyHeaderLines(false);
  }

  /** Lines for an immediate response, whose framing Envoy decides from the body. */
  static EnvoyHeaderLines forLocalReply() {
    return new EnvoyHeaderLines(true);
  }

  /** Adds a field line; a second line of the same name is appended, the first overwrites. */
  EnvoyHeaderLines add(String name, String value) {
    String key = name.toLowerCase(Locale.ROOT);
    String problem = problem(name, key, value);
    if (problem != null) {
      log.fine(() -> "dropping header line " + escaped(name) + ": " + problem);
      return this;
    }
    if (mutation.getSetHeadersCount() >= MAX_LINES || bytes + name.length() + value.length() > MAX_BYTES) {
      log.fine(() -> "dropping header line " + escaped(name) + ": over Envoy's header count or size limit");
      return this;
    }
    bytes += name.length() + value.length();
    mutation.addSetHeaders(line(name, value, !names.add(key)));
    return this;
  }

  /** Removes {@code name} (lines Envoy would refuse to remove are left out). */
  EnvoyHeaderLines remove(String name) {
    if (!HeaderValidity.nameIsValid(name) || name.startsWith(":") || name.equalsIgnoreCase("host")) {
      log.fine(() -> "not removing header " + escaped(name) + ": Envoy does not allow it");
      return this;
    }
    mutation.addRemoveHeaders(name);
    return this;
  }

  /** Takes every line of {@code other} through the same checks. */
  EnvoyHeaderLines addAll(HeaderMutation other) {
    for (HeaderValueOption option : other.getSetHeadersList()) {
      add(option.getHeader().getKey(), value(option.getHeader()));
    }
    for (String name : other.getRemoveHeadersList()) {
      remove(name);
    }
    return this;
  }

  HeaderMutation build() {
    return mutation.build();
  }

  /** One line with explicit {@code append} and the value in {@code raw_value} only. */
  static HeaderValueOption line(String name, String value, boolean append) {
    return WireHeaders.line(name, value, append);
  }

  /** Why the line {@code name} ({@code key} lower-cased) is dropped, or null to keep it. */
  private String problem(String name, String key, String value) {
    if (!HeaderValidity.nameIsValid(name)) {
      return "invalid name";
    }
    if (IGNORED.contains(key) || key.startsWith("x-envoy")) {
      return "Envoy does not let a processor set it";
    }
    // :path (and :status) may be set, but a local reply takes none and no pseudo-header appends.
    if (key.startsWith(":") && (localReply || names.contains(key))) {
      return "Envoy does not let a processor set it here";
    }
    if (localReply && key.equals("content-length")) {
      return "Envoy's local reply sets it from the body";
    }
    if (!HeaderValidity.valueIsValid(value)) {
      return "invalid value";
    }
    return null;
  }

  private static String value(HeaderValue header) {
    return header.getRawValue().isEmpty()
        ? header.getValue()
        : header.getRawValue().toString(StandardCharsets.ISO_8859_1);
  }

  private static String escaped(String name) {
    StringBuilder out = new StringBuilder(name.length() + 2).append('\'');
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      out.append(c >= 0x20 && c < 0x7F ? String.valueOf(c) : String.format("\\x%02x", (int) c));
    }
    return out.append('\'').toString();
  }
}
