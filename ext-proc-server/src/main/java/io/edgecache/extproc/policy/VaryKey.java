package io.edgecache.extproc.policy;

import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.fields.LanguageRanges;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The secondary cache key (RFC 9111 §4.1): the request's values of the fields a response's
 * Vary names. Every value is normalised by joining repeated lines and collapsing whitespace
 * around commas, which §4.1 allows because it does not change the meaning. Fields a route
 * lists for normalisation go further, so equivalent requests share one variant:
 * {@code Accept-Encoding} becomes the one coding the cache would pick (br, gzip or identity),
 * any other list field becomes its lower-cased members, sorted, without those refused by q=0.
 * {@code Accept-Language} is normalised by default (lower case, ordered by qvalue then name).
 */
public final class VaryKey {

  // Compiled once: matching runs on the hit path for every entry that has a Vary.
  private static final Pattern SPACE_AROUND_COMMAS = Pattern.compile("\\s*,\\s*");
  private static final Pattern WHITESPACE_RUNS = Pattern.compile("\\s+");
  /** A qvalue of zero: the member is refused (RFC 9110 §12.4.2). */
  private static final Pattern REFUSED = Pattern.compile("q=0(\\.0{0,3})?");

  private VaryKey() {}

  /** The request's values of every field named in {@code varyFieldValue}; empty when null. */
  public static Map<String, String> of(
      String varyFieldValue, HeaderList requestHeaders, List<String> normalizeHeaders) {
    if (varyFieldValue == null || varyFieldValue.isBlank()) {
      return Map.of();
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (String name : varyFieldValue.split(",")) {
      String field = name.trim().toLowerCase(Locale.ROOT);
      if (!field.isEmpty()) {
        values.put(field, value(field, requestHeaders, normalizeHeaders));
      }
    }
    return Collections.unmodifiableMap(values);
  }

  /** Whether a request matches the values an entry was stored with. */
  public static boolean matches(
      Map<String, String> stored, HeaderList requestHeaders, List<String> normalizeHeaders) {
    return matchesExcept(stored, requestHeaders, normalizeHeaders, null);
  }

  /** Whether a request matches the stored values of every field but {@code except}. */
  static boolean matchesExcept(Map<String, String> stored, HeaderList requestHeaders,
      List<String> normalizeHeaders, String except) {
    for (Map.Entry<String, String> field : stored.entrySet()) {
      if (!field.getKey().equals(except)
          && !value(field.getKey(), requestHeaders, normalizeHeaders).equals(field.getValue())) {
        return false;
      }
    }
    return true;
  }

  private static String value(String field, HeaderList headers, List<String> normalizeHeaders) {
    String raw = headers.joined(field);
    if (raw == null) {
      return "";
    }
    if (!normalizeHeaders.contains(field)) {
      if (field.equals(LanguageVariants.ACCEPT_LANGUAGE)) {
        LanguageRanges ranges = LanguageRanges.parse(raw);
        if (ranges != null) {
          return ranges.normalised(); // case and order carry no meaning (RFC 9110 §12.5.4)
        }
      }
      String joined = SPACE_AROUND_COMMAS.matcher(raw.trim()).replaceAll(",");
      return WHITESPACE_RUNS.matcher(joined).replaceAll(" ");
    }
    List<String> members = acceptedMembers(raw);
    if (field.equals("accept-encoding")) {
      for (String preferred : List.of("br", "gzip")) {
        if (members.contains(preferred)) {
          return preferred;
        }
      }
      return "identity";
    }
    Collections.sort(members);
    return String.join(",", members);
  }

  /** Lower-cased list members without parameters, minus those refused with q=0. */
  private static List<String> acceptedMembers(String list) {
    List<String> members = new ArrayList<>();
    for (String member : list.split(",")) {
      String[] parts = member.split(";");
      String name = parts[0].trim().toLowerCase(Locale.ROOT);
      boolean refused = false;
      for (int i = 1; i < parts.length; i++) {
        String parameter = parts[i].trim().toLowerCase(Locale.ROOT).replace(" ", "");
        if (REFUSED.matcher(parameter).matches()) {
          refused = true;
        }
      }
      if (!name.isEmpty() && !refused) {
        members.add(name);
      }
    }
    return members;
  }
}
