package io.edgecache.edge.http;

import io.netty.handler.codec.http.HttpMethod;
import java.util.Set;

/**
 * The request line checks of Envoy's HTTP/1 server codec (both of its parsers, balsa_parser.cc's
 * {@code isMethodValid} and {@code isUrlValid} being "crafted to match" http-parser): a method
 * outside http-parser's list, or a request target with a control character, a space, DEL or a
 * byte above 0x7e, is refused (400, connection closed). So is an asterisk-form target for any
 * method but OPTIONS: {@code ServerConnectionImpl::handlePath} takes it as the path only for
 * OPTIONS and otherwise parses it as an absolute URL, which fails ({@code http1.invalid_url}).
 * Netty takes any token as a method and any non-whitespace bytes as a target.
 */
final class EnvoyRequestLine {

  /** http-parser's methods, the only ones Envoy's codec takes. */
  private static final Set<String> METHODS = Set.of(
      "ACL", "BIND", "CHECKOUT", "CONNECT", "COPY", "DELETE", "GET", "HEAD", "LINK", "LOCK",
      "MERGE", "MKACTIVITY", "MKCALENDAR", "MKCOL", "MOVE", "MSEARCH", "NOTIFY", "OPTIONS",
      "PATCH", "POST", "PROPFIND", "PROPPATCH", "PURGE", "PUT", "REBIND", "REPORT", "SEARCH",
      "SOURCE", "SUBSCRIBE", "TRACE", "UNBIND", "UNLINK", "UNLOCK", "UNSUBSCRIBE");

  private EnvoyRequestLine() {}

  /** Why Envoy's codec would refuse this request line (its error name), or null. */
  static String refusal(HttpMethod method, String target) {
    if (!METHODS.contains(method.name())) {
      return "HPE_INVALID_METHOD";
    }
    if (!isTargetValid(target, HttpMethod.CONNECT.equals(method))) {
      return "HPE_INVALID_URL";
    }
    return target.startsWith("*") && !HttpMethod.OPTIONS.equals(method) ? "http1.invalid_url" : null;
  }

  private static boolean isTargetValid(String target, boolean connect) {
    if (target.isEmpty()) {
      return false;
    }
    if (target.charAt(0) == '/' || target.charAt(0) == '*') {
      return allPathOrQuery(target, 1);
    }
    int at = 0;
    if (!connect) {
      while (at < target.length() && isAlpha(target.charAt(at))) {
        at++;
      }
      if (at == 0 || !target.startsWith("://", at)) {
        return false;
      }
      at += 3;
    }
    int pathStart = at;
    while (pathStart < target.length()
        && target.charAt(pathStart) != '/' && target.charAt(pathStart) != '?') {
      pathStart++;
    }
    String host = target.substring(at, pathStart);
    for (int i = 0; i < host.length(); i++) {
      if (!isHostChar(host.charAt(i))) {
        return false;
      }
    }
    return !host.contains("@@") && allPathOrQuery(target, pathStart);
  }

  private static boolean allPathOrQuery(String target, int from) {
    for (int i = from; i < target.length(); i++) {
      char c = target.charAt(i);
      if (!(c == 9 || c == 12 || ('!' <= c && c <= '~'))) {
        return false;
      }
    }
    return true;
  }

  private static boolean isAlpha(char c) {
    return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z');
  }

  private static boolean isHostChar(char c) {
    return isAlpha(c) || ('0' <= c && c <= '9') || "!$%&'()*+,-.:;=@[]_~".indexOf(c) >= 0;
  }
}
