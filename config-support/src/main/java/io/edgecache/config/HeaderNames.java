package io.edgecache.config;

import java.util.Locale;

/**
 * The one header-name grammar: an RFC 9110 token ({@code tchar}s only), compared and stored
 * lower-cased, as HTTP/2 and Envoy's header maps hold names.
 */
public final class HeaderNames {
  private static final String TCHAR_SYMBOLS = "!#$%&'*+-.^_`|~";

  private HeaderNames() {}

  /** {@code " X-Purge-Key "} → {@code "x-purge-key"}; anything that is not a token throws. */
  public static String parse(String text) {
    String name = text.trim().toLowerCase(Locale.ROOT);
    if (!isToken(name)) {
      throw new IllegalArgumentException("'" + text + "' is not a header field name");
    }
    return name;
  }

  /** Whether {@code text} is a non-empty RFC 9110 token. */
  public static boolean isToken(String text) {
    if (text.isEmpty()) {
      return false;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean alphanumeric = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!alphanumeric && TCHAR_SYMBOLS.indexOf(c) < 0) {
        return false;
      }
    }
    return true;
  }
}
