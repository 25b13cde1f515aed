package io.edgecache.extproc.cache;

import io.edgecache.extproc.config.RoutePolicy;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.http.PathAndQuery;

/** Builds a request's primary key under its route's key policy. */
public final class CacheKeys {

  private CacheKeys() {}

  /**
   * The key for a request target: the route decides what the query contributes and which
   * request fields join the key.
   */
  public static CacheKey forTarget(String scheme, String authority, String pathWithQuery,
      RoutePolicy route, HeaderList requestHeaders) {
    PathAndQuery target = PathAndQuery.split(pathWithQuery);
    CacheKey key = CacheKey.of(scheme, authority, target.withQuery(route.query().normalise(target.query())));
    if (route.keyHeaders().isEmpty()) {
      return key;
    }
    StringBuilder extra = new StringBuilder();
    for (String field : route.keyHeaders()) {
      String value = requestHeaders.joined(field);
      if (extra.length() > 0) {
        extra.append('&');
      }
      extra.append(field).append('=').append(value == null ? "" : value.trim());
    }
    return key.withExtra(extra.toString());
  }
}
