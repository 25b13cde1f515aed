package io.edgecache.extproc.cache;

import java.util.Locale;

/**
 * The primary cache key (RFC 9111 §2): the target URI rebuilt from {@code :scheme},
 * {@code :authority}, path and query. The host is compared case-insensitively and a default
 * port is dropped, since both spell the same origin (RFC 9110 §4.2.3).
 */
public record CacheKey(String scheme, String authority, String pathAndQuery) {

  public static CacheKey of(String scheme, String authority, String pathAndQuery) {
    String normalizedScheme = scheme.toLowerCase(Locale.ROOT);
    String host = authority.toLowerCase(Locale.ROOT);
    if (normalizedScheme.equals("http") && host.endsWith(":80")) {
      host = host.substring(0, host.length() - 3);
    } else if (normalizedScheme.equals("https") && host.endsWith(":443")) {
      host = host.substring(0, host.length() - 4);
    }
    return new CacheKey(normalizedScheme, host, pathAndQuery);
  }

  /** The URI form, used as the store's key and in logs. */
  public String uri() {
    return scheme + "://" + authority + pathAndQuery;
  }

  @Override
  public String toString() {
    return uri();
  }
}
