package io.edgecache.http;

import java.nio.charset.StandardCharsets;

/**
 * The one normalisation of a request path that route matching and the cache key both use, and
 * that Envoy's HttpConnectionManager is configured to apply ({@code normalize_path},
 * {@code merge_slashes}, {@code path_with_escaped_slashes_action}), so Envoy's route, the
 * node's route policy, the key and the path the origin sees all agree.
 *
 * <p>In order: encoded slashes and backslashes per {@link EscapedSlashes}; percent-encodings
 * of unreserved characters decoded and the others upper-cased (RFC 3986 §6.2.2.1, §6.2.2.2);
 * characters a path may not hold percent-encoded; runs of {@code /} merged; dot-segments
 * removed (§6.2.2.3, §5.2.4). The query is left as sent. A malformed path (no leading
 * {@code /}, a bad percent-encoding, a fragment) is rejected.
 */
public final class PathNormalizer {

  /** The outcome: the normalised path (query kept), or why the request must get a 400. */
  public record Result(String pathWithQuery, String rejection) {
    public boolean rejected() {
      return rejection != null;
    }
  }

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private final EscapedSlashes escapedSlashes;

  public PathNormalizer(EscapedSlashes escapedSlashes) {
    this.escapedSlashes = escapedSlashes;
  }

  public EscapedSlashes escapedSlashes() {
    return escapedSlashes;
  }

  /** Normalises {@code pathWithQuery} (a request's {@code :path}). */
  public Result normalize(String pathWithQuery) {
    if (pathWithQuery.indexOf('#') >= 0) {
      return reject("a request target may not carry a fragment");
    }
    int question = pathWithQuery.indexOf('?');
    String path = question < 0 ? pathWithQuery : pathWithQuery.substring(0, question);
    String query = question < 0 ? "" : pathWithQuery.substring(question);
    if (!path.startsWith("/")) {
      return reject("the path must start with '/'");
    }
    if (alreadyNormal(path)) {
      return new Result(pathWithQuery, null);
    }
    StringBuilder decoded = new StringBuilder(path.length());
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == '%') {
        int value = i + 2 < path.length() ? hexByte(path.charAt(i + 1), path.charAt(i + 2)) : -1;
        if (value < 0) {
          return reject("malformed percent-encoding at offset " + i);
        }
        i += 2;
        if (value == '/' || value == '\\') {
          switch (escapedSlashes) {
            case REJECT -> {
              return reject("encoded slash or backslash (%" + hex(value) + ") in the path");
            }
            case UNESCAPE -> decoded.append('/');
            case KEEP -> appendEncoded(decoded, value);
          }
        } else if (isUnreserved(value)) {
          decoded.append((char) value);
        } else {
          appendEncoded(decoded, value);
        }
      } else if (c == '\\') {
        switch (escapedSlashes) {
          case REJECT -> {
            return reject("backslash in the path");
          }
          case UNESCAPE -> decoded.append('/');
          case KEEP -> appendEncoded(decoded, '\\');
        }
      } else if (isPathChar(c)) {
        decoded.append(c);
      } else {
        for (byte b : String.valueOf(c).getBytes(StandardCharsets.UTF_8)) {
          appendEncoded(decoded, b & 0xFF);
        }
      }
    }
    return new Result(removeDotSegments(mergeSlashes(decoded)) + query, null);
  }

  /**
   * Whether a segment is a dot-segment once its parameters ({@code ;...}) are dropped, as
   * servlet containers do ({@code /static/..;/account} is {@code /account} to Tomcat): such a
   * path routes one way here and another way at the origin.
   */
  public static boolean hasParameterisedDotSegment(String path) {
    if (path.indexOf(';') < 0) {
      return false;
    }
    for (String segment : PathAndQuery.pathOf(path).split("/", -1)) {
      int semicolon = segment.indexOf(';');
      if (semicolon >= 0) {
        String name = segment.substring(0, semicolon);
        if (name.equals(".") || name.equals("..")) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Whether no step would change {@code path}: only plain path characters (no percent-encoding,
   * no backslash), no run of slashes and no segment starting with a dot. Most requests take this
   * way, which allocates nothing; anything else, dot-files included, takes the full walk.
   */
  private static boolean alreadyNormal(String path) {
    char previous = 0;
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (!isPathChar(c)
          || (previous == '/' && (c == '/' || c == '.'))) {
        return false;
      }
      previous = c;
    }
    return true;
  }

  private static Result reject(String why) {
    return new Result(null, why);
  }

  private static String mergeSlashes(CharSequence path) {
    StringBuilder merged = new StringBuilder(path.length());
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c != '/' || merged.length() == 0 || merged.charAt(merged.length() - 1) != '/') {
        merged.append(c);
      }
    }
    return merged.toString();
  }

  /** RFC 3986 §5.2.4 on an absolute path. */
  static String removeDotSegments(String path) {
    StringBuilder out = new StringBuilder(path.length());
    String in = path;
    while (!in.isEmpty()) {
      if (in.startsWith("/./")) {
        in = in.substring(2);
      } else if (in.equals("/.")) {
        in = "/";
      } else if (in.startsWith("/../")) {
        in = in.substring(3);
        dropLastSegment(out);
      } else if (in.equals("/..")) {
        in = "/";
        dropLastSegment(out);
      } else if (in.equals(".") || in.equals("..")) {
        in = "";
      } else {
        int next = in.indexOf('/', 1);
        String segment = next < 0 ? in : in.substring(0, next);
        out.append(segment);
        in = next < 0 ? "" : in.substring(next);
      }
    }
    return out.length() == 0 ? "/" : out.toString();
  }

  private static void dropLastSegment(StringBuilder out) {
    int slash = out.lastIndexOf("/");
    out.setLength(Math.max(slash, 0));
  }

  private static boolean isUnreserved(int c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
        || c == '-' || c == '.' || c == '_' || c == '~';
  }

  /** pchar (RFC 3986 §3.3) and '/': unreserved, sub-delims, ':' and '@'. */
  private static boolean isPathChar(char c) {
    return c < 0x80 && (isUnreserved(c) || "!$&'()*+,;=:@/".indexOf(c) >= 0);
  }

  private static int hexByte(char high, char low) {
    int h = Character.digit(high, 16);
    int l = Character.digit(low, 16);
    return h < 0 || l < 0 ? -1 : h * 16 + l;
  }

  private static String hex(int value) {
    return "" + HEX[value >> 4] + HEX[value & 0xF];
  }

  private static void appendEncoded(StringBuilder out, int value) {
    out.append('%').append(HEX[value >> 4]).append(HEX[value & 0xF]);
  }
}
