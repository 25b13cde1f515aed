package io.edgecache.extproc.cache;

import java.util.Locale;
import java.util.Objects;

/**
 * The primary cache key (RFC 9111 §2): the target URI rebuilt from {@code :scheme},
 * {@code :authority}, path and the route's view of the query, plus any request fields the
 * route adds to the key. The host is compared case-insensitively and a default port is
 * dropped, since both spell the same origin (RFC 9110 §4.2.3).
 */
public final class CacheKey {

  private final String scheme;
  private final String authority;
  private final String pathAndQuery;
  private final String extra;
  /** Built once: the store, body tokens and logs all ask for it, the hit path several times. */
  private final String uri;

  /**
   * @param scheme lower-case scheme
   * @param authority lower-case host[:port], default port removed
   * @param pathAndQuery path and (normalised) query
   * @param extra the route's extra key fields as {@code name=value} pairs, or ""
   */
  public CacheKey(String scheme, String authority, String pathAndQuery, String extra) {
    this.scheme = Objects.requireNonNull(scheme, "scheme");
    this.authority = Objects.requireNonNull(authority, "authority");
    this.pathAndQuery = Objects.requireNonNull(pathAndQuery, "pathAndQuery");
    this.extra = Objects.requireNonNull(extra, "extra");
    String target = scheme + "://" + authority + pathAndQuery;
    this.uri = extra.isEmpty() ? target : target + " " + extra;
  }

  public static CacheKey of(String scheme, String authority, String pathAndQuery) {
    String normalizedScheme = scheme.toLowerCase(Locale.ROOT);
    return new CacheKey(normalizedScheme, canonicalAuthority(normalizedScheme, authority),
        pathAndQuery, "");
  }

  /**
   * Whether {@code authority} is already in the form keys hold it (lower case, no default
   * port). Envoy forwards the authority as the client sent it and its default header mutation
   * rules forbid a processor to rewrite it, so a request in another form must not be served
   * from or stored under the canonical key: an origin that tells {@code Victim.Example} or
   * {@code victim.example:80} from {@code victim.example} would otherwise poison it.
   */
  public static boolean isCanonical(String scheme, String authority) {
    return canonicalAuthority(scheme.toLowerCase(Locale.ROOT), authority).equals(authority);
  }

  private static String canonicalAuthority(String lowerCaseScheme, String authority) {
    String host = authority.toLowerCase(Locale.ROOT);
    if (lowerCaseScheme.equals("http") && host.endsWith(":80")) {
      return host.substring(0, host.length() - 3);
    } else if (lowerCaseScheme.equals("https") && host.endsWith(":443")) {
      return host.substring(0, host.length() - 4);
    }
    return host;
  }

  public CacheKey withExtra(String extraFields) {
    return new CacheKey(scheme, authority, pathAndQuery, extraFields);
  }

  /** The URI form (with extra key fields after a space), the store's key and logs' name. */
  public String uri() {
    return uri;
  }

  public String scheme() {
    return scheme;
  }

  public String authority() {
    return authority;
  }

  public String pathAndQuery() {
    return pathAndQuery;
  }

  public String extra() {
    return extra;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof CacheKey key && scheme.equals(key.scheme)
        && authority.equals(key.authority) && pathAndQuery.equals(key.pathAndQuery)
        && extra.equals(key.extra);
  }

  @Override
  public int hashCode() {
    return uri.hashCode();
  }

  @Override
  public String toString() {
    return uri;
  }
}
