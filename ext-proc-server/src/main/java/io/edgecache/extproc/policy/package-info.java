/**
 * The cache's decisions, as pure functions of facts an exchange gathered: whether a request may
 * use the cache and whether a response may be stored ({@link io.edgecache.extproc.policy.CachePolicy},
 * RFC 9111 with RFC 5861 and 9213), freshness and age
 * ({@link io.edgecache.extproc.policy.Freshness}), the secondary key
 * ({@link io.edgecache.extproc.policy.VaryKey}), and what to do with a stored response
 * ({@link io.edgecache.extproc.policy.ServePolicy}, returning a sealed
 * {@link io.edgecache.extproc.policy.ServeDecision}). They hold no state and touch no socket,
 * so they are table-tested directly.
 *
 * <p>Threading: stateless, safe on any thread. Public because the exchange ({@code grpc})
 * calls them and benchmarks measure them.
 */
package io.edgecache.extproc.policy;
