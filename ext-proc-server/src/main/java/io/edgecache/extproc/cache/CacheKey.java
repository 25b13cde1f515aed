package io.edgecache.extproc.cache;

import java.util.Locale;

/**
 * The primary cache key (RFC 9111 §2): the target URI rebuilt from {@code :scheme},
 * {@code :authority}, path and the route's view of the query, plus any request fields the
 * route adds to the key. The host is compared case-insensitively and a default port is
 * dropped, since both spell the same origin (RFC 9110 §4.2.3).
 *
 * @param scheme lower-case scheme
 * @param authority lower-case host[:port], default port removed
 * @param pathAndQuery path and (normalised) query
 * @param extra the route's extra key fields as {@code name=value} pairs, or ""
 */
public record CacheKey(String scheme, String authority, String pathAndQuery, String extra) {

  public static CacheKey of(String scheme, String authority, String pathAndQuery) {
    String normalizedScheme = scheme.toLowerCase(Locale.ROOT);
    String host = authority.toLowerCase(Locale.ROOT);
    if (normalizedScheme.equals("http") && host.endsWith(":80")) {
      host = host.substring(0, host.length() - 3);
    } else if (normalizedScheme.equals("https") && host.endsWith(":443")) {
      host = host.substring(0, host.length() - 4);
    }
    return new CacheKey(normalizedScheme, host, pathAndQuery, "");
  }

  public CacheKey withExtra(String extraFields) {
    return new CacheKey(scheme, authority, pathAndQuery, extraFields);
  }

  /** The URI form (with extra key fields after a space), the store's key and logs' name. */
  public String uri() {
    String uri = scheme + "://" + authority + pathAndQuery;
    return extra.isEmpty() ? uri : uri + " " + extra;
  }

  @Override
  public String toString() {
    return uri();
  }
}
