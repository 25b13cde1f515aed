package io.edgecache.extproc.cache;

import io.edgecache.extproc.config.RoutePolicy;
import io.edgecache.extproc.http.HeaderList;

/** Builds a request's primary key under its route's key policy. */
public final class CacheKeys {

  private CacheKeys() {}

  /**
   * The key for a request target: the route decides what the query contributes and which
   * request fields join the key.
   */
  public static CacheKey forTarget(String scheme, String authority, String pathWithQuery,
      RoutePolicy route, HeaderList requestHeaders) {
    int question = pathWithQuery.indexOf('?');
    String path = question < 0 ? pathWithQuery : pathWithQuery.substring(0, question);
    String query = route.query().normalise(
        question < 0 ? null : pathWithQuery.substring(question + 1));
    CacheKey key = CacheKey.of(scheme, authority, query.isEmpty() ? path : path + "?" + query);
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
