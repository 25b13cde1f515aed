package io.edgecache.extproc.policy;

/**
 * What a request may do with the stored response its keys selected (RFC 9111 §4, RFC 5861).
 *
 * @param action what happens next
 * @param forwardReason the Cache-Status {@code fwd} value when the request goes forward
 * @param detail a Cache-Status {@code detail} token, or null
 */
public record ReuseVerdict(Action action, String forwardReason, String detail) {

  /** What the cache does with the selected response. */
  public enum Action {
    /** Serve it: fresh, or stale within what the client allows. */
    SERVE,
    /** Serve it stale now and refresh it in the background (stale-while-revalidate). */
    SERVE_STALE_AND_REFRESH,
    /** Forward, conditionally where a validator allows; reuse it on 304 or error. */
    REVALIDATE
  }

  static final ReuseVerdict FRESH = new ReuseVerdict(Action.SERVE, null, null);
}
