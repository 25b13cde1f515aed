package io.edgecache.extproc.policy;

import io.edgecache.extproc.policy.ServeDecision.Forward;
import io.edgecache.extproc.policy.ServeDecision.ForwardReason;
import io.edgecache.extproc.policy.ServeDecision.Hit;
import io.edgecache.extproc.policy.ServeDecision.HitReason;
import io.edgecache.extproc.policy.ServeDecision.Refuse;

/**
 * The exchange's decisions about serving, as pure functions of facts it gathered: whether a
 * stored response answers (and how), whether a request collapses behind another's fetch, what
 * an origin response means for the stored one, and whether a body is too large to record.
 */
public final class ServePolicy {

  private ServePolicy() {}

  /**
   * What the store holds for a request.
   *
   * @param present whether a response was selected at all
   * @param bodyInMemory whether its body is held in memory
   * @param bodyReadable whether a body held below memory can still be streamed
   * @param hasValidator whether it carries an ETag or Last-Modified
   * @param reuse what RFC 9111 §4 allows with it (ignored when absent)
   */
  public record Stored(boolean present, boolean bodyInMemory, boolean bodyReadable,
      boolean hasValidator, ReuseVerdict.Action reuse) {

    public static final Stored NOTHING = new Stored(false, false, false, false, null);
  }

  /**
   * What the request allows.
   *
   * @param mayServe whether a stored response may answer it at all
   * @param onlyIfCached whether it carries Cache-Control: only-if-cached
   * @param conditional whether it carries its own preconditions
   * @param head whether it is a HEAD
   * @param canRefresh whether a background refresh can be started (a refresher is set up)
   */
  public record Asked(boolean mayServe, boolean onlyIfCached, boolean conditional,
      boolean head, boolean canRefresh) {}

  /**
   * Serve, refuse or forward. A body that can no longer be read counts as nothing stored; a
   * 304 is answered from the stored body at response time, too late to reroute to the body
   * endpoint, so only an entry in memory is revalidated with its validators.
   */
  public static ServeDecision decide(Stored stored, Asked asked) {
    if (!stored.present()) {
      return missed(ForwardReason.MISS, asked);
    }
    if (!stored.bodyInMemory() && !stored.bodyReadable()) {
      return missed(ForwardReason.BODY_GONE, asked);
    }
    if (!asked.mayServe()) {
      return new Forward(ForwardReason.MAY_NOT_SERVE, false);
    }
    if (stored.reuse() == ReuseVerdict.Action.SERVE) {
      return new Hit(HitReason.REUSABLE);
    }
    if (stored.reuse() == ReuseVerdict.Action.SERVE_STALE_AND_REFRESH && asked.canRefresh()) {
      return new Hit(HitReason.STALE_WHILE_REVALIDATE);
    }
    if (asked.onlyIfCached()) {
      return new Refuse(ForwardReason.MUST_REVALIDATE);
    }
    return new Forward(ForwardReason.MUST_REVALIDATE, stored.hasValidator()
        && stored.bodyInMemory() && !asked.conditional() && !asked.head());
  }

  private static ServeDecision missed(ForwardReason why, Asked asked) {
    return asked.onlyIfCached()
        ? new Refuse(why)
        : new Forward(why, false);
  }

  /** Whether a forwarded request waits for another's fetch of its key, and why not. */
  public enum Collapse {
    COLLAPSE,
    /** Collapsing is switched off. */
    OFF,
    /** Only a GET's response can answer the requests waiting for it. */
    NOT_GET,
    /** A partial answer serves no follower. */
    RANGE,
    /** Its response may not be stored or may not answer others. */
    NOT_SHARED,
    /** A background refresh must reach the origin itself. */
    BACKGROUND_REFRESH
  }

  /** Whether a request going to the origin collapses behind another's fetch of its key. */
  public static Collapse collapse(boolean enabled, RequestFacts request,
      RequestVerdict verdict) {
    if (!enabled) {
      return Collapse.OFF;
    }
    if (!request.method().equals("GET")) {
      return Collapse.NOT_GET;
    }
    if (request.headers().contains("range")) {
      return Collapse.RANGE;
    }
    if (!verdict.mayServe() || !verdict.mayStore()) {
      return Collapse.NOT_SHARED;
    }
    return request.backgroundRefresh() ? Collapse.BACKGROUND_REFRESH : Collapse.COLLAPSE;
  }

  /** What an origin response means when a stored response was in play. */
  public enum OnResponse {
    /** A 304 to our validators: freshen the stored response and answer with it. */
    FRESHEN,
    /** An error the stored response may stand in for (stale-if-error, RFC 5861 §4). */
    SERVE_STALE,
    /** The response goes to the client, and maybe to the store. */
    PASS_ON
  }

  /**
   * @param status the origin's status
   * @param revalidating whether the request carried the stored response's validators
   * @param storedInMemory whether the stored response's body is in memory
   * @param staleIfErrorAllows whether its freshness rules allow serving it on an error now
   */
  public static OnResponse onResponse(int status, boolean revalidating, boolean storedInMemory,
      boolean staleIfErrorAllows) {
    if (status == 304 && revalidating) {
      return OnResponse.FRESHEN;
    }
    if (status >= 500 && storedInMemory && staleIfErrorAllows) {
      return OnResponse.SERVE_STALE;
    }
    return OnResponse.PASS_ON;
  }

  /**
   * The bytes of a body recorded in memory before it goes to a spool: the large-object size
   * when the tiers stream large bodies, else the object limit (nothing is spooled).
   */
  public static long memoryLimit(boolean streamsLargeBodies, long largeObjectBytes,
      long maxObjectBytes) {
    return streamsLargeBodies ? Math.min(largeObjectBytes, maxObjectBytes) : maxObjectBytes;
  }

  /** Whether a response whose Content-Length is {@code declared} (-1: none) is too large. */
  public static boolean tooLarge(long declared, long maxObjectBytes) {
    return declared > maxObjectBytes;
  }
}
