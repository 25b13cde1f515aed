/**
 * Request collapsing: on one node ({@link io.edgecache.extproc.coalesce.Coalescer}) and across
 * the nodes sharing a Redis ({@link io.edgecache.extproc.coalesce.ClusterCoalescer}).
 *
 * <h2>Threading</h2>
 *
 * <p>Nothing here holds a lock: flights live in a {@code ConcurrentHashMap} and are handed over
 * with {@code putIfAbsent}/{@code remove(key, value)}; counters are atomic. A leader lands its
 * flight by completing a future and nothing else: followers attach to it through their own
 * exchange's serial executor, so they are resumed there, never inline on the leader's thread.
 * The cluster coalescer's futures complete on Redis (Lettuce) threads or on the scheduler it
 * is given, which also times its waits for notices and its lease renewals; its callers move
 * back to their own executor before touching their state.
 */
package io.edgecache.extproc.coalesce;
