package io.edgecache.http;

/**
 * Checks a request's {@code :authority} (or Host) against RFC 3986 §3.2.2-3.2.3 as RFC 9110
 * §4.2.1 allows it in an http(s) URI: a reg-name, IPv4 address or bracketed IP literal, and an
 * optional decimal port; no userinfo. Anything else could smuggle a path or query into the
 * host part of a cache key ({@code Host: a/p} with {@code /x} would read as {@code a/p/x}).
 */
public final class Authority {

  private Authority() {}

  /** Why {@code authority} is not valid, or null when it is. */
  public static String problem(String authority) {
    if (authority == null || authority.isEmpty()) {
      return "empty authority";
    }
    String host = authority;
    String port = null;
    if (authority.startsWith("[")) {
      int close = authority.indexOf(']');
      if (close < 0) {
        return "unterminated IP literal";
      }
      if (!isIpLiteral(authority.substring(1, close))) {
        return "invalid IP literal";
      }
      String rest = authority.substring(close + 1);
      if (!rest.isEmpty()) {
        if (!rest.startsWith(":")) {
          return "unexpected characters after the IP literal";
        }
        port = rest.substring(1);
      }
      host = null;
    } else {
      int colon = authority.lastIndexOf(':');
      if (colon >= 0) {
        host = authority.substring(0, colon);
        port = authority.substring(colon + 1);
      }
    }
    if (host != null) {
      if (host.isEmpty()) {
        return "empty host";
      }
      for (int i = 0; i < host.length(); i++) {
        char c = host.charAt(i);
        if (c == '%') {
          if (i + 2 >= host.length() || Character.digit(host.charAt(i + 1), 16) < 0
              || Character.digit(host.charAt(i + 2), 16) < 0) {
            return "malformed percent-encoding in the host";
          }
          i += 2;
        } else if (!isRegNameChar(c)) {
          return "character '" + (c < 0x20 || c > 0x7E ? String.format("\\u%04x", (int) c) : c)
              + "' is not allowed in a host";
        }
      }
    }
    if (port != null) {
      if (port.length() > 5) {
        return "port out of range";
      }
      for (int i = 0; i < port.length(); i++) {
        if (port.charAt(i) < '0' || port.charAt(i) > '9') {
          return "port is not a number";
        }
      }
      if (!port.isEmpty() && Integer.parseInt(port) > 65535) {
        return "port out of range";
      }
    }
    return null;
  }

  /** reg-name characters (unreserved and sub-delims); '%' is handled by the caller. */
  private static boolean isRegNameChar(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
        || "-._~!$&'()*+,;=".indexOf(c) >= 0;
  }

  /** IPv6address or IPvFuture, loosely: hex digits, ':', '.', and a 'v' prefix. */
  private static boolean isIpLiteral(String literal) {
    if (literal.isEmpty()) {
      return false;
    }
    for (int i = 0; i < literal.length(); i++) {
      char c = literal.charAt(i);
      if (Character.digit(c, 16) < 0 && c != ':' && c != '.' && c != 'v' && c != 'V') {
        return false;
      }
    }
    return true;
  }
}
