package io.edgecache.extproc.policy;

import io.edgecache.extproc.fields.AgeField;
import io.edgecache.extproc.fields.CacheControl;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.fields.HttpDates;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/** Freshness lifetime (RFC 9111 §4.2.1, §4.2.2) and age (§4.2.3) calculations. */
public final class Freshness {

  /** Statuses that are heuristically cacheable (RFC 9110 §15.1). */
  public static final Set<Integer> HEURISTICALLY_CACHEABLE =
      Set.of(200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501);

  private final double heuristicFraction;
  private final Duration heuristicCap;

  /**
   * @param heuristicFraction the share of the time since Last-Modified a response stays fresh
   *     when it carries no explicit expiration (RFC 9111 §4.2.2 suggests 10 %)
   * @param heuristicCap the most heuristic freshness any response gets
   */
  public Freshness(double heuristicFraction, Duration heuristicCap) {
    this.heuristicFraction = heuristicFraction;
    this.heuristicCap = heuristicCap;
  }

  /**
   * The freshness lifetime for a shared cache: {@code s-maxage}, else {@code max-age}, else
   * {@code Expires − Date}, else a heuristic. A malformed value or Expires makes the response
   * stale (zero lifetime); a missing Date counts as the time the response arrived. When the
   * directives come from a targeted field (RFC 9213 §2.1), Expires is not consulted.
   */
  public Duration lifetime(int status, HeaderList headers, CacheControl cacheControl,
      boolean targeted, Instant responseTime) {
    Long sMaxAge = cacheControl.seconds("s-maxage");
    if (sMaxAge != null) {
      return deltaSeconds(sMaxAge);
    }
    Long maxAge = cacheControl.seconds("max-age");
    if (maxAge != null) {
      return deltaSeconds(maxAge);
    }
    Instant date = dateOrArrival(headers, responseTime);
    String expiresValue = targeted ? null : headers.first("expires");
    if (expiresValue != null) {
      Instant expires = HttpDates.parse(expiresValue);
      if (expires == null) {
        return Duration.ZERO;
      }
      Duration lifetime = Duration.between(date, expires);
      return lifetime.isNegative() ? Duration.ZERO : lifetime;
    }
    return heuristic(status, headers, cacheControl, date);
  }

  /** Whether the response carries an explicit expiration time. */
  public static boolean hasExplicitExpiration(
      HeaderList headers, CacheControl cacheControl, boolean targeted) {
    return cacheControl.has("s-maxage")
        || cacheControl.has("max-age")
        || (!targeted && headers.contains("expires"));
  }

  /**
   * corrected_initial_age (RFC 9111 §4.2.3): the larger of the age the Date implies and the
   * received Age corrected by how long the response took to arrive.
   */
  public static Duration correctedInitialAge(
      HeaderList headers, Instant requestTime, Instant responseTime) {
    Instant date = dateOrArrival(headers, responseTime);
    Duration apparentAge = Duration.between(date, responseTime);
    if (apparentAge.isNegative()) {
      apparentAge = Duration.ZERO;
    }
    Duration responseDelay = Duration.between(requestTime, responseTime);
    if (responseDelay.isNegative()) {
      responseDelay = Duration.ZERO;
    }
    Duration correctedAgeValue = AgeField.value(headers).plus(responseDelay);
    return apparentAge.compareTo(correctedAgeValue) > 0 ? apparentAge : correctedAgeValue;
  }

  private Duration heuristic(
      int status, HeaderList headers, CacheControl cacheControl, Instant date) {
    if (!HEURISTICALLY_CACHEABLE.contains(status) && !cacheControl.has("public")) {
      return Duration.ZERO;
    }
    Instant lastModified = HttpDates.parse(headers.first("last-modified"));
    if (lastModified == null || !lastModified.isBefore(date)) {
      return Duration.ZERO;
    }
    long sinceModifiedMillis = Duration.between(lastModified, date).toMillis();
    Duration lifetime = Duration.ofMillis((long) (sinceModifiedMillis * heuristicFraction));
    return lifetime.compareTo(heuristicCap) > 0 ? heuristicCap : lifetime;
  }

  private static Instant dateOrArrival(HeaderList headers, Instant responseTime) {
    Instant date = HttpDates.parse(headers.first("date"));
    return date == null ? responseTime : date;
  }

  private static Duration deltaSeconds(long seconds) {
    return seconds == CacheControl.INVALID ? Duration.ZERO : Duration.ofSeconds(seconds);
  }
}
