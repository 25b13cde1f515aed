package io.edgecache.http;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Request fields a cacheable route strips before the origin: inputs the origin may reflect into
 * a response that are not in the key. The cache node's route config and the control plane's
 * pushed route policy share these defaults and this spelling, so a route means the same
 * whichever of the two sets it.
 */
public final class UnkeyedRequestHeaders {
  /**
   * Fields that reach the origin but are not in the key, which origins and frameworks read to
   * build absolute URLs, redirects and rewrites, or to tell the scheme (Rack, Rails, Django,
   * IIS): X-Forwarded-Ssl, Front-End-Https and X-Url-Scheme as well as X-Forwarded-Scheme.
   * X-Forwarded-Proto and X-Forwarded-For are not listed: an edge Envoy with
   * {@code use_remote_address} overwrites the first and appends the client to the second, and
   * origins need them. (A client still chooses what comes before its own address in
   * X-Forwarded-For: an origin must read it from the right.)
   */
  public static final List<String> DEFAULT_STRIP = List.of("x-forwarded-host", "x-host",
      "x-original-host", "forwarded", "x-original-url", "x-original-uri", "x-rewrite-url",
      "x-forwarded-uri", "x-forwarded-path", "x-forwarded-prefix", "x-forwarded-scheme",
      "x-forwarded-ssl", "front-end-https", "x-url-scheme", "x-forwarded-server",
      "x-forwarded-port", "x-http-method-override", "x-http-method", "x-method-override");

  /** An RFC 9110 token in lower case: header field names as configured. */
  private static final Pattern LOWER_CASE_FIELD_NAME = Pattern.compile("[a-z0-9!#$%&'*+.^_`|~-]+");

  private UnkeyedRequestHeaders() {}

  /** Whether {@code name} is a header field name in lower case. */
  public static boolean isLowerCaseFieldName(String name) {
    return LOWER_CASE_FIELD_NAME.matcher(name).matches();
  }
}
