package io.edgecache.extproc.config;

import java.util.Locale;

/**
 * The cache policy of one route: which requests it covers and how they are cached.
 *
 * @param host "*" or an exact host name (port ignored, case-insensitive)
 * @param pathPrefix the path prefix the route covers
 * @param shareResponsesWithSetCookie whether a response carrying Set-Cookie may be stored;
 *     the stored copy never keeps the Set-Cookie field, so one client's cookie is never
 *     handed to another
 */
public record RoutePolicy(String host, String pathPrefix, boolean shareResponsesWithSetCookie) {

  /** The policy for requests no configured route covers: safe defaults. */
  public static final RoutePolicy DEFAULT = new RoutePolicy("*", "/", false);

  /** Whether this route covers a request for {@code hostWithoutPort} and {@code path}. */
  public boolean covers(String hostWithoutPort, String path) {
    return (host.equals("*") || host.equalsIgnoreCase(hostWithoutPort))
        && path.startsWith(pathPrefix);
  }

  /** The host part of an authority, lower-cased, without port. */
  public static String hostOf(String authority) {
    String host = authority;
    if (host.startsWith("[")) {
      int close = host.indexOf(']');
      host = close < 0 ? host : host.substring(0, close + 1);
    } else {
      int colon = host.lastIndexOf(':');
      host = colon < 0 ? host : host.substring(0, colon);
    }
    return host.toLowerCase(Locale.ROOT);
  }
}
