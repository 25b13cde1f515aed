package io.edgecache.extproc.purge;

import io.edgecache.extproc.cache.CacheKey;
import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.proto.purge.v1.PurgeCommand;
import io.edgecache.proto.purge.v1.PurgeKind;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * What one purge command covers, matched against stored entries by their key URI
 * ({@code scheme://authority/path?query[ extra]}, see {@link CacheKey#uri()}) and headers.
 *
 * @param kind URL, PREFIX, TAG, HOST or ALL
 * @param soft mark stale instead of removing
 * @param host lower-case host a TAG purge is limited to ("" for any); the host for HOST
 * @param value the normalised URL or URL prefix, or the tag; "" for HOST and ALL
 */
record PurgeRule(PurgeKind kind, boolean soft, String host, String value) {

  /** The rule a command carries; throws IllegalArgumentException for an unusable one. */
  static PurgeRule of(PurgeCommand command) {
    PurgeKind kind = command.getKind();
    String host = command.getHost().toLowerCase(Locale.ROOT);
    return switch (kind) {
      case URL, PREFIX -> new PurgeRule(kind, command.getSoft(), host,
          normalizedUrl(command.getValue()));
      case TAG -> new PurgeRule(kind, command.getSoft(), host, command.getValue());
      case HOST -> new PurgeRule(kind, command.getSoft(),
          hostOf("//" + command.getValue().toLowerCase(Locale.ROOT)), "");
      case ALL -> new PurgeRule(kind, command.getSoft(), "", "");
      default -> throw new IllegalArgumentException("purge kind " + kind + " is not supported");
    };
  }

  /** The cache key form of a URL, so it compares with stored keys: scheme and host lower case. */
  static String normalizedUrl(String url) {
    try {
      URI uri = new URI(url);
      if (uri.getScheme() == null || uri.getRawAuthority() == null) {
        throw new IllegalArgumentException("'" + url + "' is not an absolute URL");
      }
      String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
      String pathAndQuery = uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
      return CacheKey.of(uri.getScheme(), uri.getRawAuthority(), pathAndQuery).uri();
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("'" + url + "' is not a URL: " + e.getReason(), e);
    }
  }

  /** Whether the entry stored under {@code uri} falls under this purge. */
  public boolean covers(String uri, CachedResponse entry, SurrogateKeys tags) {
    return mayCover(uri) && (kind != PurgeKind.TAG || tags.carries(entry.headers(), value));
  }

  /** Whether entries under {@code uri} can fall under this purge, judging by the URI alone. */
  public boolean mayCover(String uri) {
    return switch (kind) {
      case URL -> uri.startsWith(value) && (uri.length() == value.length() || uri.charAt(value.length()) == ' ');
      case PREFIX -> uri.startsWith(value);
      case HOST -> host.equals(hostOf(uri));
      case TAG -> host.isEmpty() || host.equals(hostOf(uri));
      case ALL -> true;
      default -> false;
    };
  }

  /** The host of a key URI ({@code scheme://host[:port]/...}), without port. */
  static String hostOf(String uri) {
    int start = uri.indexOf("//") + 2;
    int end = start;
    while (end < uri.length() && "/ ?".indexOf(uri.charAt(end)) < 0) {
      end++;
    }
    String authority = uri.substring(start, end);
    int colon = authority.lastIndexOf(':');
    return colon > 0 && !authority.endsWith("]") ? authority.substring(0, colon) : authority;
  }
}
