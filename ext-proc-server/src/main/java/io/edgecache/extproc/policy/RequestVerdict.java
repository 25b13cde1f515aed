package io.edgecache.extproc.policy;

/**
 * Whether a request may be answered from the cache and whether its response may be stored.
 *
 * @param lookup whether the store is consulted at all
 * @param mayServe whether a stored response may answer it
 * @param mayStore whether its response may be stored
 * @param forwardReason the Cache-Status {@code fwd} value when it is forwarded for its own
 *     semantics, or null when only the store's state decides
 * @param detail a Cache-Status {@code detail} token saying why, or null
 */
public record RequestVerdict(
    boolean lookup, boolean mayServe, boolean mayStore, String forwardReason, String detail) {

  static final RequestVerdict CACHEABLE = new RequestVerdict(true, true, true, null, null);

  static RequestVerdict bypass(String detail) {
    return new RequestVerdict(false, false, false, "bypass", detail);
  }
}
