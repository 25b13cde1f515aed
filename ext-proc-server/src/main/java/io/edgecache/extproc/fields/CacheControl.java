package io.edgecache.extproc.fields;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Parsed Cache-Control directives (RFC 9111 §5.2). Directive names are case-insensitive;
 * arguments may be tokens or quoted-strings. When a directive repeats, the first occurrence is
 * kept, one of the two choices RFC 9111 §4.2.1 allows. Unknown directives are kept, so callers
 * ignore them simply by not asking.
 */
public final class CacheControl {

  /** Delta-seconds above this are clamped to it (RFC 9111 §1.2.2). */
  public static final long MAX_DELTA_SECONDS = 2_147_483_648L;

  /** Marks a directive whose argument is present but is not valid delta-seconds. */
  public static final long INVALID = -1;

  private static final CacheControl EMPTY = new CacheControl(Map.of());

  private final Map<String, String> directives;

  private CacheControl(Map<String, String> directives) {
    this.directives = directives;
  }

  /** Parses a (possibly joined) Cache-Control field value; null parses as empty. */
  public static CacheControl parse(String fieldValue) {
    if (fieldValue == null || fieldValue.isBlank()) {
      return EMPTY;
    }
    Map<String, String> directives = new LinkedHashMap<>();
    int i = 0;
    int n = fieldValue.length();
    while (i < n) {
      i = skipSeparators(fieldValue, i);
      int nameStart = i;
      while (i < n && fieldValue.charAt(i) != '=' && fieldValue.charAt(i) != ','
          && !isWhitespace(fieldValue.charAt(i))) {
        i++;
      }
      String name = fieldValue.substring(nameStart, i).toLowerCase(Locale.ROOT);
      i = skipWhitespace(fieldValue, i);
      String argument = "";
      if (i < n && fieldValue.charAt(i) == '=') {
        i = skipWhitespace(fieldValue, i + 1);
        if (i < n && fieldValue.charAt(i) == '"') {
          StringBuilder quoted = new StringBuilder();
          i++;
          while (i < n && fieldValue.charAt(i) != '"') {
            char c = fieldValue.charAt(i);
            if (c == '\\' && i + 1 < n) {
              c = fieldValue.charAt(++i);
            }
            quoted.append(c);
            i++;
          }
          argument = quoted.toString();
          i++; // closing quote
        } else {
          int argStart = i;
          while (i < n && fieldValue.charAt(i) != ',') {
            i++;
          }
          argument = fieldValue.substring(argStart, i).trim();
        }
      }
      while (i < n && fieldValue.charAt(i) != ',') {
        i++; // junk after a directive: skip to the next list member
      }
      if (!name.isEmpty()) {
        directives.putIfAbsent(name, argument);
      }
    }
    return new CacheControl(Collections.unmodifiableMap(directives));
  }

  /** Directives already parsed elsewhere (a targeted field), in field order. */
  static CacheControl of(Map<String, String> directives) {
    return directives.isEmpty()
        ? EMPTY
        : new CacheControl(Collections.unmodifiableMap(new LinkedHashMap<>(directives)));
  }

  public boolean has(String directive) {
    return directives.containsKey(directive);
  }

  /** The directive's argument ("" when it has none), or null when absent. */
  public String argument(String directive) {
    return directives.get(directive);
  }

  /**
   * The directive's delta-seconds argument: null when the directive is absent, {@link #INVALID}
   * when its argument is missing or malformed, clamped to {@link #MAX_DELTA_SECONDS}.
   */
  public Long seconds(String directive) {
    String argument = directives.get(directive);
    if (argument == null) {
      return null;
    }
    return parseDeltaSeconds(argument);
  }

  /**
   * Parses delta-seconds (RFC 9111 §1.2.2): {@link #INVALID} unless it is all digits, clamped
   * to {@link #MAX_DELTA_SECONDS}.
   */
  public static long parseDeltaSeconds(String text) {
    if (text.isEmpty()) {
      return INVALID;
    }
    long value = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return INVALID;
      }
      value = value * 10 + (c - '0');
      if (value > MAX_DELTA_SECONDS) {
        return MAX_DELTA_SECONDS;
      }
    }
    return value;
  }

  private static int skipSeparators(String s, int i) {
    while (i < s.length() && (s.charAt(i) == ',' || isWhitespace(s.charAt(i)))) {
      i++;
    }
    return i;
  }

  private static int skipWhitespace(String s, int i) {
    while (i < s.length() && isWhitespace(s.charAt(i))) {
      i++;
    }
    return i;
  }

  private static boolean isWhitespace(char c) {
    return c == ' ' || c == '\t';
  }
}
