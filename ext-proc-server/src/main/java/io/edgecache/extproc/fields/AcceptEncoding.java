package io.edgecache.extproc.fields;

import java.util.Locale;

/**
 * Whether a request's Accept-Encoding admits a content coding (RFC 9110 §12.5.3), so a stored
 * response is never served in a coding its client refused: a member with {@code q=0} refuses,
 * {@code *} covers codings not listed, {@code identity} is acceptable unless refused, and an
 * absent field accepts everything while an empty one accepts only identity.
 */
public final class AcceptEncoding {

  private AcceptEncoding() {}

  /**
   * Whether {@code acceptEncoding} (the joined field, or null) admits a response whose
   * Content-Encoding is {@code contentEncoding} (null or empty for identity; a list applies
   * every coding in it).
   */
  public static boolean accepts(String acceptEncoding, String contentEncoding) {
    if (acceptEncoding == null) {
      return true;
    }
    if (contentEncoding == null || contentEncoding.isBlank()) {
      return admits(acceptEncoding, "identity");
    }
    for (String coding : contentEncoding.split(",")) {
      String name = coding.trim().toLowerCase(Locale.ROOT);
      if (!name.isEmpty() && !admits(acceptEncoding, name)) {
        return false;
      }
    }
    return true;
  }

  private static boolean admits(String acceptEncoding, String coding) {
    Double explicit = null;
    Double wildcard = null;
    for (String member : acceptEncoding.split(",")) {
      String[] parts = member.split(";");
      String name = parts[0].trim().toLowerCase(Locale.ROOT);
      if (name.equals("x-gzip")) {
        name = "gzip";
      }
      double q = quality(parts);
      if (name.equals(coding)) {
        explicit = q;
      } else if (name.equals("*")) {
        wildcard = q;
      }
    }
    if (explicit != null) {
      return explicit > 0;
    }
    if (wildcard != null) {
      return wildcard > 0;
    }
    return coding.equals("identity"); // identity is acceptable unless refused (§12.5.3)
  }

  /** The member's qvalue; 1 when absent, 0 when unparsable (treated as a refusal). */
  private static double quality(String[] parts) {
    for (int i = 1; i < parts.length; i++) {
      String parameter = parts[i].trim().toLowerCase(Locale.ROOT);
      if (parameter.startsWith("q=")) {
        try {
          return Double.parseDouble(parameter.substring(2).trim());
        } catch (NumberFormatException e) {
          return 0;
        }
      }
    }
    return 1;
  }
}
