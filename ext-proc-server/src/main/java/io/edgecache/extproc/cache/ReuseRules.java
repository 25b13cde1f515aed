package io.edgecache.extproc.cache;

import java.time.Duration;

/**
 * What a stored response's directives (and its route's defaults) allow when it is reused
 * (RFC 9111 §4, RFC 5861).
 *
 * @param staleWhileRevalidate how long past freshness it may be served while a background
 *     refresh runs
 * @param staleIfError how long past freshness it may be served when the origin fails
 * @param mustRevalidate never served stale ({@code must-revalidate}, {@code proxy-revalidate},
 *     {@code s-maxage} for a shared cache)
 * @param alwaysRevalidate every reuse needs a successful revalidation (bare {@code no-cache})
 * @param immutable a fresh response needs no revalidation even on a reload (RFC 8246)
 */
public record ReuseRules(
    Duration staleWhileRevalidate,
    Duration staleIfError,
    boolean mustRevalidate,
    boolean alwaysRevalidate,
    boolean immutable) {

  public static final ReuseRules NONE =
      new ReuseRules(Duration.ZERO, Duration.ZERO, false, false, false);

  /** The longest time past freshness any rule lets the response be served. */
  public Duration staleAllowance() {
    if (mustRevalidate) {
      return Duration.ZERO;
    }
    return staleWhileRevalidate.compareTo(staleIfError) > 0 ? staleWhileRevalidate : staleIfError;
  }
}
