/**
 * Envoy's ext_proc service: one {@code CacheExchange} per HTTP request, a step machine that
 * translates ext_proc messages into the node's decisions ({@code policy.ServePolicy},
 * {@code policy.CachePolicy}) and answers.
 *
 * <h2>Threading</h2>
 *
 * <p>Each exchange owns a {@link io.edgecache.extproc.concurrent.SerialExecutor}, and every
 * piece of its state ({@code ExchangeState} and the parts holding it: {@code Fill},
 * {@code Revalidation}, {@code ResponseRecorder}) is touched only by tasks running there, one
 * at a time; so nothing on the exchange path is {@code synchronized}. gRPC's messages enter
 * through {@code executeHere}: on the transport thread when the exchange is idle, so a hit
 * costs no thread hop. Continuations (a lookup below memory, a leader landing, a cluster turn,
 * a PURGE verdict, a timeout) enter through {@code execute} and run on the node's scheduler
 * threads, never on the thread that completed them: a tier's, Redis's, a timer's or a
 * leader's. A continuation that finds the exchange at another step (the stream ended first)
 * does nothing, except to give back what it was handed (a cluster lease).
 *
 * <p>Waits are bounded by the node's {@link java.util.concurrent.ScheduledExecutorService}
 * through {@link io.edgecache.extproc.concurrent.Deadlines}, not by {@code orTimeout}'s
 * JVM-wide delay thread.
 *
 * <h2>Dependencies</h2>
 *
 * <p>The node hands this package its parts once, as {@link
 * io.edgecache.extproc.grpc.ExchangeServices}; each exchange part is given only the few of them
 * it uses. What a node may lack has a no-op rather than null: {@code ClusterClaims.NONE},
 * {@code BackgroundRefresher.NONE}, {@code EdgePurges.NONE}.
 */
package io.edgecache.extproc.grpc;
