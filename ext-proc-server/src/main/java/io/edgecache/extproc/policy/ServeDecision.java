package io.edgecache.extproc.policy;

/**
 * What an exchange does with a request given what the store holds for it: answer from the
 * stored response, refuse (only-if-cached), or forward to the origin. Made by
 * {@link ServePolicy#decide}.
 */
public sealed interface ServeDecision {

  /** Answer from the stored response. */
  record Hit(HitReason reason) implements ServeDecision {}

  /**
   * Answer 504 without contacting the origin (RFC 9111 §5.2.1.7): the client asked
   * only-if-cached, and the request would have been forwarded for {@code reason}.
   */
  record Refuse(ForwardReason reason) implements ServeDecision {}

  /**
   * Send the request on; {@code validators} when the stored response's validators go with it,
   * so a 304 can be answered from it (RFC 9111 §4.3.1).
   */
  record Forward(ForwardReason reason, boolean validators) implements ServeDecision {}

  /** Why a stored response answers. */
  enum HitReason {
    /** Fresh, or stale within what the client allows. */
    REUSABLE,
    /** Stale within stale-while-revalidate: served now, refreshed in the background. */
    STALE_WHILE_REVALIDATE
  }

  /** Why the request goes to the origin. */
  enum ForwardReason {
    /** Nothing stored for the request. */
    MISS,
    /** The stored response's body is no longer readable: it is fetched anew. */
    BODY_GONE,
    /** The request may not be answered from the cache (credentials, a bypass). */
    MAY_NOT_SERVE,
    /** Stored but not reusable as is: stale, or the client wants it revalidated. */
    MUST_REVALIDATE;

    /** Whether nothing usable was stored: a stored partial response may still answer. */
    public boolean nothingStored() {
      return this == MISS || this == BODY_GONE;
    }
  }
}
