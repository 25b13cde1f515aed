package io.edgecache.security;

/**
 * Text a peer sent (a NACK's error_detail, a node id), made safe for a log line: control
 * characters, line and paragraph separators, invisible format characters (bidi overrides),
 * quotes and backslashes are escaped, and the text is cut at a length so that one peer cannot
 * forge log lines or flood the log.
 */
public final class LogText {

  /** How many characters of a peer's text a log line keeps. */
  public static final int MAX_CHARS = 512;

  private LogText() {}

  /** {@code text} escaped onto one line, in double quotes, cut after {@link #MAX_CHARS}. */
  public static String quote(String text) {
    return quote(text, MAX_CHARS);
  }

  /**
   * {@code text} escaped onto one line, in double quotes, cut after {@code maxChars}: for
   * records that must stay whole (an audit line) where the caller has bounded the text itself.
   */
  public static String quote(String text, int maxChars) {
    if (text == null) {
      return "null";
    }
    int kept = Math.min(text.length(), maxChars);
    StringBuilder out = new StringBuilder(kept + 16).append('"');
    for (int i = 0; i < kept; i++) {
      char c = text.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '"' -> out.append("\\\"");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT
              || Character.getType(c) == Character.LINE_SEPARATOR
              || Character.getType(c) == Character.PARAGRAPH_SEPARATOR
              || Character.isSurrogate(c) && !validPair(text, i, kept)) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
    if (text.length() > kept) {
      out.append("...(").append(text.length() - kept).append(" more chars)");
    }
    return out.toString();
  }

  /** Whether the surrogate at {@code i} is half of a pair that lies wholly within the kept text. */
  private static boolean validPair(String text, int i, int kept) {
    char c = text.charAt(i);
    if (Character.isHighSurrogate(c)) {
      return i + 1 < kept && Character.isLowSurrogate(text.charAt(i + 1));
    }
    return i > 0 && Character.isHighSurrogate(text.charAt(i - 1));
  }
}
