package io.edgecache.extproc.grpc;

import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.coalesce.ClusterClaims;
import io.edgecache.extproc.coalesce.ClusterCoalescer;
import io.edgecache.extproc.coalesce.ClusterLease;
import io.edgecache.extproc.coalesce.Coalescer;
import io.edgecache.extproc.concurrent.Deadlines;
import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.policy.CachePolicy;
import io.edgecache.extproc.policy.CacheStatus;
import io.edgecache.extproc.policy.ReuseVerdict;
import io.edgecache.extproc.policy.ServePolicy;
import io.edgecache.extproc.telemetry.CacheMetrics;
import io.edgecache.extproc.telemetry.Outcome;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.opentelemetry.api.trace.Span;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;

/**
 * How a forwarded request's fetch is shared: it leads the key's flight on this node (and then
 * claims the cluster lease), or follows another request's flight and is answered from what
 * that one stores. A leader must {@link #land} whatever happens, so followers and other nodes
 * are released; followers are resumed on their own exchange's executor, never on the leader's.
 */
final class Fill {

  private final ExchangeState state;
  private final Hits hits;
  private final ServerConfig.Collapsing collapsing;
  private final Coalescer coalescer;
  /** Asked by a local leader before it fetches; {@link ClusterClaims#NONE} asks nobody. */
  private final ClusterClaims cluster;
  /** Times the waits for a leader. */
  private final ScheduledExecutorService scheduler;
  private final CacheMetrics metrics;
  private final Clock clock;
  private final CachePolicy policy;
  /** The flight this exchange leads; it must land whatever happens. */
  private Coalescer.Flight leading;
  /** The cluster lease this exchange holds for its key; it must end whatever happens. */
  private ClusterLease clusterLease;

  Fill(ExchangeState state, Hits hits, ServerConfig.Collapsing collapsing, Coalescer coalescer,
      ClusterClaims cluster, ScheduledExecutorService scheduler, CacheMetrics metrics,
      Clock clock, CachePolicy policy) {
    this.state = state;
    this.hits = hits;
    this.collapsing = collapsing;
    this.coalescer = coalescer;
    this.cluster = cluster;
    this.scheduler = scheduler;
    this.metrics = metrics;
    this.clock = clock;
    this.policy = policy;
  }

  /**
   * Sends the request on to the origin, first joining the key's flight when collapsing applies:
   * a leader goes on, a follower waits (asking Envoy to extend its timer) for the leader.
   */
  void forward(HeaderMutation.Builder mutation) {
    // Only a request that goes on needs them: a hit never reaches the origin.
    UnkeyedInputs.remove(state.route, state.target, state.request.headers(), mutation);
    // The origin continues the trace from this exchange's span.
    state.trace.inject(
        (name, value) -> mutation.addSetHeaders(ExchangeMessages.replace(name, value)));
    if (ServePolicy.collapse(collapsing.enabled(), state.request,
        state.requestVerdict) == ServePolicy.Collapse.COLLAPSE) {
      Coalescer.Role role = coalescer.join(state.request.key().uri());
      if (role == null) {
        state.detail = state.detail == null ? "hit-for-pass" : state.detail;
      } else if (role.leader()) {
        leading = role.flight();
        // Asked, not left to NONE: a claim is a wait (counted as waiting, traced, answered later).
        if (cluster.enabled()) {
          claimClusterLead(mutation.build());
          return;
        }
      } else {
        follow(role.flight(), mutation.build());
        return;
      }
    }
    state.send(ExchangeMessages.continueRequestHeaders(mutation.build()));
  }

  private void follow(Coalescer.Flight flight, HeaderMutation pending) {
    state.moveTo(ExchangeStep.WAITING_FOR_LEADER);
    Duration maxWait = collapsing.maxWait();
    state.send(ExchangeMessages.extendTimerBeyond(maxWait));
    Span wait = state.trace.child("edgecache.collapse.wait");
    Deadlines.within(flight.landed(), maxWait, scheduler)
        .whenCompleteAsync((entry, error) -> {
          wait.end();
          onLeaderLanded(entry, error != null, pending);
        }, state.serial);
  }

  /**
   * As this node's leader, asks the other nodes whether one of them already fetches the key:
   * if so this exchange (and its local followers with it) waits for that node's fill.
   */
  private void claimClusterLead(HeaderMutation pending) {
    state.moveTo(ExchangeStep.WAITING_FOR_LEADER);
    Duration maxWait = collapsing.maxWait();
    Span wait = state.trace.child("edgecache.collapse.cluster");
    cluster.claim(state.request.key(), maxWait,
            () -> state.serial.execute(() -> extendTimerWhileWaiting(maxWait)))
        .whenCompleteAsync((turn, error) -> {
          wait.end();
          onClusterTurn(turn, pending);
        }, state.serial);
  }

  private void extendTimerWhileWaiting(Duration maxWait) {
    if (state.step() == ExchangeStep.WAITING_FOR_LEADER) {
      state.send(ExchangeMessages.extendTimerBeyond(maxWait));
    }
  }

  private void onClusterTurn(ClusterCoalescer.Turn turn, HeaderMutation pending) {
    if (state.step() != ExchangeStep.WAITING_FOR_LEADER) {
      if (turn.lease() != null) {
        turn.lease().abandoned(); // the stream ended while claiming
      }
      return;
    }
    switch (turn.outcome()) {
      case LEAD, ALONE -> {
        clusterLease = turn.lease();
        state.moveTo(ExchangeStep.AWAIT_RESPONSE_HEADERS);
        state.send(ExchangeMessages.continueRequestHeaders(pending));
      }
      case FILLED -> {
        onLeaderLanded(turn.entry(), false, pending);
        if (state.step() == ExchangeStep.DONE) {
          land(turn.entry(), false); // served: local followers are served the same entry
        }
      }
      case PASS -> {
        land(null, true);
        onLeaderLanded(null, false, pending);
      }
      case TIMED_OUT -> onLeaderLanded(null, true, pending);
    }
  }

  private void onLeaderLanded(CachedResponse entry, boolean timedOut, HeaderMutation pending) {
    if (state.step() != ExchangeStep.WAITING_FOR_LEADER) {
      return; // the stream ended first
    }
    if (timedOut) {
      metrics.collapseTimeout();
    }
    state.moveTo(ExchangeStep.AWAIT_RESPONSE_HEADERS);
    Instant now = clock.instant();
    if (entry != null
        && state.matchesVary(entry)
        && policy.reuse(state.request, entry, now).action()
            == ReuseVerdict.Action.SERVE) {
      hits.serve(entry, CacheStatus.forwarded(state.forwardReason).fwdStatus(entry.status())
          .collapsed().ttl(entry.ttlSeconds(now)), Outcome.COLLAPSED, now);
      return;
    }
    state.detail = timedOut ? "collapse-timeout" : "collapse-released";
    state.send(ExchangeMessages.continueRequestHeaders(pending));
  }

  /**
   * Ends the flight and cluster lease this exchange holds, if any; followers get {@code entry}.
   * Other nodes waiting on the lease are released to the origin ({@code pass}) or may fetch.
   */
  void land(CachedResponse entry, boolean pass) {
    if (leading != null) {
      Coalescer.Flight flight = leading;
      leading = null;
      coalescer.land(state.request.key().uri(), flight, entry, pass);
    }
    if (clusterLease != null) {
      ClusterLease lease = clusterLease;
      clusterLease = null;
      if (pass) {
        lease.passed();
      } else {
        lease.abandoned();
      }
    }
  }

  /**
   * Lands a stored entry; other nodes are told once {@code written} has it in the tiers. Local
   * followers get an entry held in memory at once, a large one once the disk has its body.
   */
  void landStored(CachedResponse entry, CompletableFuture<Boolean> written) {
    if (clusterLease != null) {
      clusterLease.filled(written);
      clusterLease = null;
    }
    if (entry.bodyInMemory() || leading == null) {
      land(entry, false);
      return;
    }
    Coalescer.Flight flight = leading;
    leading = null;
    String uri = state.request.key().uri();
    // Completing the flight only queues its followers on their own executors.
    written.whenComplete((stored, error) -> coalescer.land(
        uri, flight, Boolean.TRUE.equals(stored) ? entry : null, false));
  }
}
