package io.edgecache.extproc.policy;

import io.edgecache.extproc.http.HeaderList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The secondary cache key (RFC 9111 §4.1): the request's values of the fields a response's
 * Vary names. Values are normalised by joining repeated lines and collapsing whitespace around
 * commas, which §4.1 allows because it does not change their meaning.
 */
public final class VaryKey {

  private VaryKey() {}

  /** The request's values of every field named in {@code varyFieldValue}; empty when null. */
  public static Map<String, String> of(String varyFieldValue, HeaderList requestHeaders) {
    if (varyFieldValue == null || varyFieldValue.isBlank()) {
      return Map.of();
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (String name : varyFieldValue.split(",")) {
      String field = name.trim().toLowerCase(Locale.ROOT);
      if (!field.isEmpty()) {
        values.put(field, normalise(requestHeaders.joined(field)));
      }
    }
    return Collections.unmodifiableMap(values);
  }

  /** Whether a request matches the values an entry was stored with. */
  public static boolean matches(Map<String, String> stored, HeaderList requestHeaders) {
    for (Map.Entry<String, String> field : stored.entrySet()) {
      String value = normalise(requestHeaders.joined(field.getKey()));
      if (!value.equals(field.getValue())) {
        return false;
      }
    }
    return true;
  }

  private static String normalise(String value) {
    if (value == null) {
      return "";
    }
    return value.trim().replaceAll("\\s*,\\s*", ",").replaceAll("\\s+", " ");
  }
}
