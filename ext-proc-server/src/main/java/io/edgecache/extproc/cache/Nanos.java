package io.edgecache.extproc.cache;

import java.time.Duration;
import java.time.Instant;

/**
 * Times as nanoseconds in a long, the form a {@link CachedResponse} keeps them in: 8 bytes
 * each instead of an object or a seconds and nanoseconds pair. Instants are exact from 1678 to
 * 2262; durations beyond ±292 years are held at the long's bounds, as lower tiers
 * ({@code EntryCodec}) store them anyway, and sums and differences saturate there too.
 */
final class Nanos {

  private static final long PER_SECOND = 1_000_000_000L;
  private static final Duration LONGEST = Duration.ofNanos(Long.MAX_VALUE);
  private static final Duration MOST_NEGATIVE = Duration.ofNanos(Long.MIN_VALUE);

  private Nanos() {}

  /** Nanoseconds since the epoch; throws beyond the years 1678 to 2262. */
  static long sinceEpoch(Instant instant) {
    return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), PER_SECOND),
        instant.getNano());
  }

  static Instant toInstant(long sinceEpoch) {
    return Instant.ofEpochSecond(Math.floorDiv(sinceEpoch, PER_SECOND),
        Math.floorMod(sinceEpoch, PER_SECOND));
  }

  /** The duration in nanoseconds, held at the long's bounds beyond them. */
  static long of(Duration duration) {
    if (duration.compareTo(LONGEST) >= 0) {
      return Long.MAX_VALUE;
    }
    return duration.compareTo(MOST_NEGATIVE) <= 0 ? Long.MIN_VALUE : duration.toNanos();
  }

  /** Whole seconds, rounded down as {@link Duration#getSeconds()} does. */
  static long wholeSeconds(long nanos) {
    return Math.floorDiv(nanos, PER_SECOND);
  }

  /** {@code a + b}, held at the long's bounds instead of overflowing. */
  static long saturatedSum(long a, long b) {
    long sum = a + b;
    // Overflow iff a and b have the same sign and the sum's sign differs from it.
    return ((a ^ sum) & (b ^ sum)) < 0 ? (a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE) : sum;
  }

  /** {@code a - b}, held at the long's bounds instead of overflowing. */
  static long saturatedDifference(long a, long b) {
    long difference = a - b;
    // Overflow iff a and b have different signs and the difference's sign differs from a's.
    return ((a ^ b) & (a ^ difference)) < 0 ? (a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE)
        : difference;
  }
}
