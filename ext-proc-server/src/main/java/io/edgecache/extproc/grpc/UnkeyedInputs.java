package io.edgecache.extproc.grpc;

import io.edgecache.extproc.config.RoutePolicy;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.http.PathAndQuery;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;

/**
 * Keeps request inputs that are not in the cache key from reaching the origin of a cacheable
 * request, so nothing the origin reflects into a stored response can differ between two
 * requests with one key: the route's strip-listed fields (unless keyed) are removed, and query
 * parameters the key leaves out are dropped from {@code :path} unless the route forwards them.
 */
final class UnkeyedInputs {

  private UnkeyedInputs() {}

  /** Adds the removals for a request whose normalised target is {@code pathWithQuery}. */
  static void remove(RoutePolicy route, String pathWithQuery, HeaderList headers,
      HeaderMutation.Builder mutation) {
    for (String field : route.stripHeaders()) {
      if (headers.contains(field) && !route.keyHeaders().contains(field)) {
        mutation.addRemoveHeaders(field);
      }
    }
    if (route.forwardExcludedQuery()) {
      return;
    }
    PathAndQuery target = PathAndQuery.split(pathWithQuery);
    if (target.query() == null) {
      return;
    }
    String forwarded = route.query().forwarded(target.query());
    if (!forwarded.equals(target.query())) {
      mutation.addSetHeaders(ExchangeMessages.replace(":path", target.withQuery(forwarded)));
    }
  }
}
