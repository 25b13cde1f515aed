package io.edgecache.extproc.cache;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.edgecache.extproc.fields.HeaderList;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * A stored response and what is needed to judge its freshness later.
 *
 * <p>Compact, since an L1 holds millions: the header fields and the body share one array, the
 * fields in the wire form a hit sends ({@link WireHeaders}), built once here; times are kept
 * as nanoseconds in longs, the status as a short, and the body's length is the array's rest
 * unless the body is held elsewhere. So an entry is three objects (this, the array, its key),
 * this one 56 bytes, and a hit copies prebuilt bytes ({@link #headerLines()}) instead of
 * building a protobuf object per field. Accessors rebuild the values they return.
 *
 * <p>Times are exact from 1678 to 2262; ages and lifetimes beyond 292 years are held as 292
 * years ({@link Nanos}).
 */
public final class CachedResponse {

  /**
   * Heap an entry costs beyond its key's characters and {@link #weight}'s array: this object
   * (56 B), the array's and the key's headers (16 B each), the key String (24 B), Caffeine's
   * node and map slot (~112 B). Measured, not guessed (bench's L1MemoryMain: ~345 B per entry
   * at 1 M entries, of which ~120 B are the key's characters and the array's contents), so
   * l1MaxBytes bounds the real heap instead of undercounting small entries severalfold.
   */
  private static final int FIXED_OVERHEAD_BYTES = 224;

  private static final int MAX_SHARED_RULES = 256;
  private static final ConcurrentMap<ReuseRules, ReuseRules> SHARED_RULES =
      new ConcurrentHashMap<>();

  /** Bytes of the body length that ends the array when a lower tier holds the body. */
  private static final int BODY_LENGTH_BYTES = Long.BYTES;

  /**
   * bytes[0, headerLength) are the header lines, then the body held in memory; when that is not
   * the whole body ({@link #bodyElsewhere}), the body's length ends the array, big-endian: an
   * entry whose body is in memory, nearly all of them, needs no field for it.
   */
  private final byte[] bytes;
  private final int headerLength;
  private final long responseTimeNanos;
  private final long initialAgeNanos;
  private final long lifetimeNanos;
  private final short status;
  private final boolean sentAsStored;
  private final boolean bodyElsewhere;
  private final Map<String, String> varyValues;
  private final ReuseRules rules;

  /**
   * @param status the origin's status code, three digits
   * @param headers the end-to-end header fields to replay (no hop-by-hop fields, no Age)
   * @param body the complete body, or empty when the body is too large to be held in memory
   *     and is streamed from a lower tier instead (see {@link #bodyInMemory()})
   * @param responseTime when the response headers reached the cache (RFC 9111 §4.2.3)
   * @param correctedInitialAge the response's age when it arrived (RFC 9111 §4.2.3)
   * @param freshnessLifetime how long it is fresh (RFC 9111 §4.2.1)
   * @param varyValues the request's values of each field named by Vary, normalised; empty when
   *     the response has no Vary
   * @param rules what its directives allow on reuse
   * @param bodyLength the body's length in bytes, wherever it is held
   */
  public CachedResponse(int status, HeaderList headers, ByteString body, Instant responseTime,
      Duration correctedInitialAge, Duration freshnessLifetime, Map<String, String> varyValues,
      ReuseRules rules, long bodyLength) {
    this(checkedStatus(status), encode(headers, body, bodyLength),
        WireHeaders.encodedSize(headers), WireHeaders.sentAsStored(headers),
        body.size() != bodyLength, Nanos.sinceEpoch(responseTime),
        Nanos.of(correctedInitialAge), Nanos.of(freshnessLifetime), varyValues, rules);
  }

  /** A response whose whole body is held in memory. */
  public CachedResponse(int status, HeaderList headers, ByteString body, Instant responseTime,
      Duration correctedInitialAge, Duration freshnessLifetime, Map<String, String> varyValues,
      ReuseRules rules) {
    this(status, headers, body, responseTime, correctedInitialAge, freshnessLifetime,
        varyValues, rules, body.size());
  }

  private CachedResponse(short status, byte[] bytes, int headerLength, boolean sentAsStored,
      boolean bodyElsewhere, long responseTimeNanos, long initialAgeNanos, long lifetimeNanos,
      Map<String, String> varyValues, ReuseRules rules) {
    this.status = status;
    this.bytes = bytes;
    this.headerLength = headerLength;
    this.sentAsStored = sentAsStored;
    this.bodyElsewhere = bodyElsewhere;
    this.responseTimeNanos = responseTimeNanos;
    this.initialAgeNanos = initialAgeNanos;
    this.lifetimeNanos = lifetimeNanos;
    this.varyValues = Objects.requireNonNull(varyValues);
    this.rules = shared(Objects.requireNonNull(rules));
  }

  private static short checkedStatus(int status) {
    if (status < 100 || status > 999) {
      throw new IllegalArgumentException("not a status code: " + status);
    }
    return (short) status;
  }

  /**
   * One instance per distinct rules: entries of a route share their route's stale windows, so a
   * handful of values serve millions of entries. Bounded, since origins choose the values.
   */
  private static ReuseRules shared(ReuseRules rules) {
    ReuseRules known = SHARED_RULES.get(rules);
    if (known != null) {
      return known;
    }
    if (SHARED_RULES.size() < MAX_SHARED_RULES) {
      known = SHARED_RULES.putIfAbsent(rules, rules);
    }
    return known == null ? rules : known;
  }

  private static byte[] encode(HeaderList headers, ByteString body, long bodyLength) {
    int headerLength = WireHeaders.encodedSize(headers);
    boolean bodyElsewhere = body.size() != bodyLength;
    byte[] bytes = new byte[headerLength + body.size() + (bodyElsewhere ? BODY_LENGTH_BYTES : 0)];
    WireHeaders.encode(headers, bytes);
    body.copyTo(bytes, headerLength);
    if (bodyElsewhere) {
      ByteBuffer.wrap(bytes).putLong(bytes.length - BODY_LENGTH_BYTES, bodyLength);
    }
    return bytes;
  }

  public int status() {
    return status;
  }

  /** The end-to-end header fields to replay (no hop-by-hop fields, no Age), decoded anew. */
  public HeaderList headers() {
    return WireHeaders.decode(bytes, headerLength);
  }

  /**
   * All values of the header field {@code name} (lower case) joined as
   * {@link HeaderList#joined} does, without decoding the others; null when absent.
   */
  public String joinedHeader(String name) {
    return WireHeaders.joined(bytes, headerLength, name);
  }

  /**
   * The header fields as serialized {@code HeaderMutation.set_headers} lines, ready to send,
   * when a full answer sends them exactly as stored plus Age and Cache-Status lines (no field
   * a hit rewrites or Envoy refuses); null when they need the line-by-line checks.
   */
  public ByteString headerLines() {
    return sentAsStored ? UnsafeByteOperations.unsafeWrap(bytes, 0, headerLength) : null;
  }

  /** The body held in memory: all of it, or nothing when a lower tier streams it. */
  public ByteString body() {
    return UnsafeByteOperations.unsafeWrap(bytes, headerLength, heldBodyEnd() - headerLength);
  }

  private int heldBodyEnd() {
    return bodyElsewhere ? bytes.length - BODY_LENGTH_BYTES : bytes.length;
  }

  public Instant responseTime() {
    return Nanos.toInstant(responseTimeNanos);
  }

  public Duration correctedInitialAge() {
    return Duration.ofNanos(initialAgeNanos);
  }

  public Duration freshnessLifetime() {
    return Duration.ofNanos(lifetimeNanos);
  }

  public Map<String, String> varyValues() {
    return varyValues;
  }

  public ReuseRules rules() {
    return rules;
  }

  /** The body's length in bytes, wherever it is held. */
  public long bodyLength() {
    return bodyElsewhere
        ? ByteBuffer.wrap(bytes).getLong(bytes.length - BODY_LENGTH_BYTES)
        : bytes.length - headerLength;
  }

  /** Whether {@link #body()} holds the body; if not, a lower tier streams it. */
  public boolean bodyInMemory() {
    return !bodyElsewhere;
  }

  /** current_age per RFC 9111 §4.2.3: initial age plus the time it has been resident. */
  public Duration currentAge(Instant now) {
    return Duration.ofNanos(currentAgeNanos(now));
  }

  /**
   * {@link #currentAge(Instant)} in nanoseconds, on the stored longs: a hit asks several times,
   * and this builds no object.
   */
  private long currentAgeNanos(Instant now) {
    long resident =
        Math.max(0, Nanos.saturatedDifference(Nanos.sinceEpoch(now), responseTimeNanos));
    return Nanos.saturatedSum(initialAgeNanos, resident);
  }

  /**
   * current_age per RFC 9111 §4.2.3 of a response that arrived at {@code responseTime} aged
   * {@code correctedInitialAge}; shared with the stored head, which has no body to wrap.
   */
  public static Duration currentAge(Instant responseTime, Duration correctedInitialAge,
      Instant now) {
    Duration resident = Duration.between(responseTime, now);
    if (resident.isNegative()) {
      resident = Duration.ZERO;
    }
    return correctedInitialAge.plus(resident);
  }

  /** Freshness left at {@code now}; zero or negative once stale. */
  public Duration timeToLive(Instant now) {
    return Duration.ofNanos(timeToLiveNanos(now));
  }

  private long timeToLiveNanos(Instant now) {
    return Nanos.saturatedDifference(lifetimeNanos, currentAgeNanos(now));
  }

  /**
   * Whole seconds of freshness left, as Cache-Status {@code ttl} reports it: counted from the
   * whole-second Age the client sees, so {@code Age + ttl} is always the freshness lifetime.
   */
  public long ttlSeconds(Instant now) {
    return Nanos.wholeSeconds(lifetimeNanos) - Nanos.wholeSeconds(currentAgeNanos(now));
  }

  /**
   * How long a tier should keep the entry from {@code now}: its remaining freshness plus the
   * longer stale window, since a stale entry may still be served or revalidated in it.
   */
  public Duration timeToKeep(Instant now) {
    return timeToLive(now).plus(rules.staleAllowance());
  }

  public boolean isFresh(Instant now) {
    return timeToLiveNanos(now) > 0;
  }

  /** Whether it carries a validator a conditional request can use (RFC 9111 §4.3.1). */
  public boolean hasValidator() {
    return joinedHeader("etag") != null || joinedHeader("last-modified") != null;
  }

  /**
   * How long after {@code now} the entry can still be of use: while fresh, while a stale rule
   * may serve it, and, when it has a validator, {@code revalidationWindow} more for a cheap
   * conditional refresh.
   */
  public Duration usefulFor(Instant now, Duration revalidationWindow) {
    Duration useful = timeToKeep(now);
    if (hasValidator()) {
      useful = useful.plus(revalidationWindow);
    }
    return useful.isNegative() ? Duration.ZERO : useful;
  }

  /**
   * This response made stale from {@code moment} on (a soft purge): its freshness lifetime ends
   * there, so the stale rules it carries (stale-while-revalidate, stale-if-error) and its
   * validators still apply. Itself when it is already stale by then.
   */
  public CachedResponse staleFrom(Instant moment) {
    long ageThen = currentAgeNanos(moment);
    if (lifetimeNanos <= ageThen) {
      return this;
    }
    return new CachedResponse(status, bytes, headerLength, sentAsStored, bodyElsewhere,
        responseTimeNanos, initialAgeNanos, ageThen, varyValues, rules);
  }

  /** Bytes this entry costs the L1 cache. */
  public int weight(String key) {
    return FIXED_OVERHEAD_BYTES + key.length() + bytes.length;
  }

  @Override
  public boolean equals(Object other) {
    // The bytes hold the headers, the body held and, if it is not all, the body's length.
    return other instanceof CachedResponse that
        && status == that.status
        && headerLength == that.headerLength
        && bodyElsewhere == that.bodyElsewhere
        && responseTimeNanos == that.responseTimeNanos
        && initialAgeNanos == that.initialAgeNanos
        && lifetimeNanos == that.lifetimeNanos
        && Arrays.equals(bytes, that.bytes)
        && varyValues.equals(that.varyValues)
        && rules.equals(that.rules);
  }

  @Override
  public int hashCode() {
    // Not the bytes: hashing a large body per call would cost more than equals ever does.
    return Objects.hash(status, headerLength, responseTimeNanos, lifetimeNanos, bodyLength());
  }

  @Override
  public String toString() {
    return "CachedResponse[status=" + status + ", headers=" + headers().fields()
        + ", bodyLength=" + bodyLength() + ", responseTime=" + responseTime()
        + ", correctedInitialAge=" + correctedInitialAge() + ", freshnessLifetime="
        + freshnessLifetime() + ", varyValues=" + varyValues + ", rules=" + rules + "]";
  }
}
