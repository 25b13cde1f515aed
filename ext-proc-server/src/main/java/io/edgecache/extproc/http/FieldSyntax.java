package io.edgecache.extproc.http;

/**
 * Which header field names and values Envoy accepts ({@code HeaderUtility::headerNameIsValid},
 * {@code headerValueIsValid}): checked where a line is built for Envoy, and when an entry is
 * stored, to know whether its fields can be replayed exactly as stored.
 */
public final class FieldSyntax {

  private FieldSyntax() {}

  /** A non-empty RFC 9110 token (a pseudo-header's leading ':' aside), as Envoy's HTTP/1 rules. */
  public static boolean nameIsValid(String name) {
    if (name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean tchar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || "!#$%&'*+-.^_`|~".indexOf(c) >= 0 || (i == 0 && c == ':');
      if (!tchar) {
        return false;
      }
    }
    return true;
  }

  /** Visible octets, obs-text, space and tab: no NUL, CR, LF or other control characters. */
  public static boolean valueIsValid(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c > 0xFF || (c < 0x20 && c != '\t') || c == 0x7F) {
        return false;
      }
    }
    return true;
  }
}
