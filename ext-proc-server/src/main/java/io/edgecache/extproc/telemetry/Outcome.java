package io.edgecache.extproc.telemetry;

import java.util.Locale;

/** How the cache handled one request; each request ends in exactly one. */
public enum Outcome {
  /** Served fresh from the cache. */
  HIT,
  /** Served stale from the cache (stale-while-revalidate, stale-if-error, max-stale). */
  STALE,
  /** Waited for another request's fetch and was served from it. */
  COLLAPSED,
  /** Revalidated with the origin (304) and served from the cache. */
  REVALIDATED,
  /** Fetched from the origin and stored. */
  MISS,
  /** Fetched from the origin and not stored (not cacheable, bypassed, or too large). */
  PASS,
  /** Answered by the cache without the origin for another reason (only-if-cached 504). */
  LOCAL;

  /** The metric and span attribute value. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether the response body came from the cache rather than the origin. */
  public boolean servedFromCache() {
    return this == HIT || this == STALE || this == COLLAPSED || this == REVALIDATED;
  }
}
