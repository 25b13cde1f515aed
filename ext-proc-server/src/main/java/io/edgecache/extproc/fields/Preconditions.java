package io.edgecache.extproc.fields;

import java.time.Instant;

/**
 * Evaluates a client's conditional request against a stored response (RFC 9110 §13), so a
 * cache can answer 304 itself (RFC 9111 §4.3.2).
 */
public final class Preconditions {

  private Preconditions() {}

  /**
   * Whether {@code request} is a GET/HEAD whose If-None-Match or (without it) If-Modified-Since
   * says the client already has the stored representation.
   */
  public static boolean notModified(HeaderList request, HeaderList stored) {
    String ifNoneMatch = request.joined("if-none-match");
    if (ifNoneMatch != null) {
      String etag = stored.first("etag");
      return etag != null && (ifNoneMatch.trim().equals("*") || weakMatchAny(ifNoneMatch, etag));
    }
    Instant since = HttpDates.parse(request.first("if-modified-since"));
    if (since == null) {
      return false;
    }
    Instant lastModified = HttpDates.parse(stored.first("last-modified"));
    if (lastModified == null) {
      lastModified = HttpDates.parse(stored.first("date"));
    }
    return lastModified != null && !lastModified.isAfter(since);
  }

  /**
   * If-Range (RFC 9110 §13.1.5): true when absent or when it matches the stored
   * representation — an entity-tag by strong comparison, a date exactly equal to
   * Last-Modified.
   */
  public static boolean ifRangeHolds(HeaderList request, HeaderList stored) {
    String ifRange = request.first("if-range");
    if (ifRange == null) {
      return true;
    }
    String value = ifRange.trim();
    if (value.startsWith("\"") || value.startsWith("W/")) {
      String etag = stored.first("etag");
      return etag != null && !value.startsWith("W/") && !etag.startsWith("W/")
          && value.equals(etag.trim());
    }
    Instant date = HttpDates.parse(value);
    Instant lastModified = HttpDates.parse(stored.first("last-modified"));
    return date != null && date.equals(lastModified);
  }

  /** Weak comparison (RFC 9110 §8.8.3.2) of {@code etag} with each tag in a list. */
  private static boolean weakMatchAny(String list, String etag) {
    String opaque = opaqueTag(etag.trim());
    for (String candidate : list.split(",")) {
      if (opaqueTag(candidate.trim()).equals(opaque)) {
        return true;
      }
    }
    return false;
  }

  private static String opaqueTag(String tag) {
    return tag.startsWith("W/") ? tag.substring(2) : tag;
  }
}
