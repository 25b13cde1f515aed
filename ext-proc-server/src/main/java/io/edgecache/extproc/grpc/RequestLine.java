package io.edgecache.extproc.grpc;

import io.edgecache.extproc.fields.HeaderList;

/**
 * The pseudo-headers of a request as Envoy sends them, checked for presence.
 *
 * @param method {@code :method}
 * @param scheme {@code :scheme} (http when Envoy omits it)
 * @param authority {@code :authority}, or the Host field
 * @param path {@code :path}, query included
 */
record RequestLine(String method, String scheme, String authority, String path) {

  static RequestLine from(HeaderList headers) throws MalformedMessageException {
    String method = required(headers, ":method");
    String path = required(headers, ":path");
    String authority = headers.first(":authority");
    if (authority == null || authority.isEmpty()) {
      authority = headers.first("host");
    }
    if (authority == null || authority.isEmpty()) {
      throw new MalformedMessageException(
          "request_headers: missing :authority pseudo-header (and no host header)");
    }
    String scheme = headers.first(":scheme");
    return new RequestLine(method, scheme == null || scheme.isEmpty() ? "http" : scheme,
        authority, path);
  }

  private static String required(HeaderList headers, String name)
      throws MalformedMessageException {
    String value = headers.first(name);
    if (value == null || value.isEmpty()) {
      throw new MalformedMessageException("request_headers: missing " + name + " pseudo-header");
    }
    return value;
  }
}
