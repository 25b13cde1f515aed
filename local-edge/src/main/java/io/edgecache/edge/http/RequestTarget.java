package io.edgecache.edge.http;

import io.edgecache.http.Authority;
import io.edgecache.http.PathNormalizer;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import java.util.List;
import java.util.Locale;

/**
 * A client request's {@code :authority} and {@code :path} as Envoy's HTTP/1 codec and
 * connection manager derive them: an absolute-form target supplies the authority (Host is
 * then ignored), Host must be given exactly once otherwise and be a valid RFC 3986
 * host[:port], and the path goes through the listener's normalisation. Anything else is a 400
 * before routing, so the route, the processor's key and the origin see one target.
 *
 * <p>An absolute-form target also supplies {@code :scheme}, in lower case; one other than
 * http or https is refused (codec_impl.cc {@code handlePath}, {@code http1.invalid_scheme}),
 * and so is https: local-edge listens in plaintext only, and an edge Envoy (use_remote_address,
 * no trusted hops: its codec's {@code validate_scheme}) answers {@code https://} in the clear
 * with 403 ({@code http1.https_in_plaintext}). Taken, it would key an origin's answer to a
 * plaintext request (say, a redirect to https) under the https URL every TLS client asks for.
 *
 * @param scheme the request's {@code :scheme}: http, or an absolute-form target's
 * @param authority the request's authority (null when rejected)
 * @param path the normalised path with its query as sent (null when rejected)
 * @param rejection the reply refusing the request before routing, or null
 */
record RequestTarget(String scheme, String authority, String path, LocalReply rejection) {

  static RequestTarget of(HttpRequest request, PathNormalizer paths) {
    List<String> hosts = request.headers().getAll(HttpHeaderNames.HOST);
    if (hosts.size() > 1) {
      return rejected("multiple Host headers");
    }
    String uri = request.uri();
    String authority = hosts.isEmpty() ? null : hosts.get(0);
    String path = uri;
    String scheme = "http";
    int schemeEnd = uri.indexOf("://");
    if (!uri.startsWith("/") && schemeEnd > 0) {
      // absolute-form (RFC 9112 §3.2.2): the target's authority replaces Host, as in Envoy
      scheme = uri.substring(0, schemeEnd).toLowerCase(Locale.ROOT);
      if (scheme.equals("https")) {
        return new RequestTarget(null, null, null, LocalReply.httpsInPlaintext());
      }
      if (!scheme.equals("http")) {
        return rejected("invalid scheme in the request target");
      }
      int pathStart = firstOf(uri, schemeEnd + 3, '/', '?');
      authority = uri.substring(schemeEnd + 3, pathStart);
      path = pathStart == uri.length() ? "/" : uri.substring(pathStart);
      if (path.startsWith("?")) {
        path = "/" + path;
      }
    }
    if (authority == null) {
      return rejected("missing Host header");
    }
    String problem = Authority.problem(authority);
    if (problem != null) {
      return rejected("invalid authority: " + problem);
    }
    if (path.startsWith("*") && request.method().equals(HttpMethod.OPTIONS)) {
      // Envoy's codec takes OPTIONS' asterisk-form as the path (ServerConnectionImpl::handlePath)
      // and its connection manager serves relative paths only: 404 before any filter runs.
      return new RequestTarget(null, null, null, LocalReply.nonRelativePath());
    }
    PathNormalizer.Result normalized = paths.normalize(path);
    if (normalized.rejected()) {
      return rejected("invalid path: " + normalized.rejection());
    }
    return new RequestTarget(scheme, authority, normalized.pathWithQuery(), null);
  }

  private static RequestTarget rejected(String why) {
    return new RequestTarget(null, null, null, LocalReply.badRequest(why));
  }

  private static int firstOf(String text, int from, char a, char b) {
    for (int i = from; i < text.length(); i++) {
      if (text.charAt(i) == a || text.charAt(i) == b) {
        return i;
      }
    }
    return text.length();
  }
}
