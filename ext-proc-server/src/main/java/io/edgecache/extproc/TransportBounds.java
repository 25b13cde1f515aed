package io.edgecache.extproc;

import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * How long the ext_proc port holds connections and streams it gets nothing from, enforced by the
 * transport per connection rather than by a timer per stream (which the hit path would pay):
 * keepalive pings find a peer that vanished without closing (a dead Envoy host), an idle
 * connection is closed, and a connection is aged out with a grace, so a stream whose peer
 * never sends or ends it is cancelled at the latest {@code maxConnectionAge + grace} after its
 * connection opened. Envoy reconnects at once; a stream cut with
 * {@code failure_mode_allow} goes on to the origin.
 */
record TransportBounds(Duration keepAliveTime, Duration keepAliveTimeout,
    Duration maxConnectionIdle, Duration maxConnectionAge, Duration maxConnectionAgeGrace) {

  /** Long enough that no request in flight is cut in practice; short enough to bound a hold. */
  static final TransportBounds DEFAULTS = new TransportBounds(Duration.ofSeconds(30),
      Duration.ofSeconds(10), Duration.ofMinutes(5), Duration.ofHours(1), Duration.ofMinutes(10));

  NettyServerBuilder applyTo(NettyServerBuilder builder) {
    return builder
        .keepAliveTime(keepAliveTime.toNanos(), TimeUnit.NANOSECONDS)
        .keepAliveTimeout(keepAliveTimeout.toNanos(), TimeUnit.NANOSECONDS)
        .maxConnectionIdle(maxConnectionIdle.toNanos(), TimeUnit.NANOSECONDS)
        .maxConnectionAge(maxConnectionAge.toNanos(), TimeUnit.NANOSECONDS)
        .maxConnectionAgeGrace(maxConnectionAgeGrace.toNanos(), TimeUnit.NANOSECONDS)
        // An Envoy cluster with connection_keepalive pings too; gRPC's default (one ping per
        // 5 min) would answer a 30 s interval with GOAWAY too_many_pings.
        .permitKeepAliveTime(10, TimeUnit.SECONDS)
        .permitKeepAliveWithoutCalls(true);
  }
}
