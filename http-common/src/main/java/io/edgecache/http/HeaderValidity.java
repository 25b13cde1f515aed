package io.edgecache.http;

/**
 * Which header names and values Envoy accepts in a header mutation, as its
 * {@code HeaderUtility::headerNameIsValid} and {@code headerValueIsValid} decide (Envoy >= 1.31,
 * where pseudo-headers are checked without nghttp2). Shared so that the cache node never sends a
 * line that local-edge, standing in for Envoy, would judge differently.
 */
public final class HeaderValidity {
  /** RFC 9110 tchar punctuation; letters and digits are checked separately. */
  private static final String TOKEN_PUNCTUATION = "!#$%&'*+-.^_`|~";

  private HeaderValidity() {}

  /**
   * A non-empty RFC 9110 token, upper case allowed (the HTTP/1 rules Envoy applies to every
   * name), optionally after one leading ':' for a pseudo-header, whose rest must not be empty.
   */
  public static boolean nameIsValid(String name) {
    int start = name.startsWith(":") ? 1 : 0;
    if (name.length() == start) {
      return false;
    }
    for (int i = start; i < name.length(); i++) {
      if (!isTokenChar(name.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /**
   * oghttp2's {@code IsValidHeaderValue} with obs-text allowed: tab, space, visible ASCII and
   * 0x80-0xFF; no NUL, CR, LF, DEL or other control octet. A char above 0xFF has no single
   * octet, so it is invalid too.
   */
  public static boolean valueIsValid(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c > 0xFF || (c < 0x20 && c != '\t') || c == 0x7F) {
        return false;
      }
    }
    return true;
  }

  private static boolean isTokenChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || TOKEN_PUNCTUATION.indexOf(c) >= 0;
  }
}
