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
   * build absolute URLs, redirects and rewrites. X-Forwarded-Proto and X-Forwarded-For are not
   * listed: the proxy sets them itself (Envoy overwrites them at an edge with
   * {@code use_remote_address}) and origins need them.
   */
  public static final List<String> DEFAULT_STRIP = List.of("x-forwarded-host", "x-host",
      "forwarded", "x-original-url", "x-rewrite-url", "x-forwarded-scheme", "x-forwarded-server",
      "x-forwarded-port", "x-forwarded-prefix", "x-http-method-override", "x-http-method",
      "x-method-override");

  /** An RFC 9110 token in lower case: header field names as configured. */
  private static final Pattern LOWER_CASE_FIELD_NAME = Pattern.compile("[a-z0-9!#$%&'*+.^_`|~-]+");

  private UnkeyedRequestHeaders() {}

  /** Whether {@code name} is a header field name in lower case. */
  public static boolean isLowerCaseFieldName(String name) {
    return LOWER_CASE_FIELD_NAME.matcher(name).matches();
  }
}
