package io.edgecache.extproc.policy;

/**
 * Builds this cache's member of the {@code Cache-Status} field (RFC 9211). Members are
 * appended after those of caches nearer the origin, so the last one is the nearest the client.
 */
public final class CacheStatus {

  public static final String FIELD = "cache-status";
  public static final String CACHE_NAME = "edgecache";

  private final StringBuilder member = new StringBuilder(CACHE_NAME);

  private CacheStatus() {}

  /** A response served from the cache. */
  public static CacheStatus hit() {
    CacheStatus status = new CacheStatus();
    status.member.append("; hit");
    return status;
  }

  /** A response the cache forwarded to the next hop, for the given {@code fwd} reason. */
  public static CacheStatus forwarded(String reason) {
    CacheStatus status = new CacheStatus();
    status.member.append("; fwd=").append(reason);
    return status;
  }

  /** Adds {@code fwd} to a hit that also went forward (stale served on an origin error). */
  public CacheStatus alsoForwarded(String reason) {
    member.append("; fwd=").append(reason);
    return this;
  }

  public CacheStatus fwdStatus(int status) {
    member.append("; fwd-status=").append(status);
    return this;
  }

  /** Freshness left, in seconds; negative when a stale response is served. */
  public CacheStatus ttl(long seconds) {
    member.append("; ttl=").append(seconds);
    return this;
  }

  /** The forwarded response was stored. */
  public CacheStatus stored() {
    member.append("; stored");
    return this;
  }

  /** The request waited for another request's fetch and was answered from it. */
  public CacheStatus collapsed() {
    member.append("; collapsed");
    return this;
  }

  /** Why the cache acted as it did; {@code token} must be an RFC 8941 token. */
  public CacheStatus detail(String token) {
    if (token != null) {
      member.append("; detail=").append(token);
    }
    return this;
  }

  /** The field value with this member appended to what caches nearer the origin wrote. */
  public String appendTo(String upstreamValue) {
    return upstreamValue == null || upstreamValue.isBlank()
        ? member.toString()
        : upstreamValue + ", " + member;
  }

  @Override
  public String toString() {
    return member.toString();
  }
}
