package io.edgecache.extproc.cache;

import java.net.URI;

/**
 * Resolves a URI reference a response carries about other resources (Location,
 * Content-Location) against the request's target (RFC 9110 §8.7, §10.2.2).
 */
public final class RelatedTargets {

  private RelatedTargets() {}

  /**
   * The path and query {@code reference} names on the request's own origin, or null when it
   * names another one or does not parse.
   */
  public static String sameOriginPathWithQuery(CacheKey request, String reference) {
    try {
      URI resolved = base(request).resolve(reference.trim());
      if (resolved.getRawAuthority() == null || resolved.getScheme() == null
          || !CacheKey.of(resolved.getScheme(), resolved.getRawAuthority(), "")
              .equals(CacheKey.of(request.scheme(), request.authority(), ""))) {
        return null;
      }
      String path = resolved.getRawPath() == null || resolved.getRawPath().isEmpty()
          ? "/" : resolved.getRawPath();
      return resolved.getRawQuery() == null ? path : path + "?" + resolved.getRawQuery();
    } catch (IllegalArgumentException unparsable) {
      return null;
    }
  }

  /** The target URI; its root when the path is not a valid URI path. */
  private static URI base(CacheKey request) {
    String origin = request.scheme() + "://" + request.authority();
    try {
      return URI.create(origin + request.pathAndQuery());
    } catch (IllegalArgumentException notAUriPath) {
      return URI.create(origin + "/");
    }
  }
}
