package io.edgecache.edge.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The connection and stream timeouts of Envoy's HTTP connection manager and upstream
 * clusters that local-edge applies; zero disables one.
 *
 * @param requestHeaders from a request's first byte until its headers are complete; then 408
 *     and the connection is closed (HCM {@code request_headers_timeout}). Envoy has none by
 *     default; local-edge uses 10 s so a client trickling a head cannot hold a connection
 * @param streamIdle nothing sent or received on a request for this long: 408 if the response
 *     has not started, else the client connection is reset (HCM {@code stream_idle_timeout},
 *     5 min by default)
 * @param connectionIdle a client connection without a request for this long is closed
 *     (HCM {@code common_http_protocol_options.idle_timeout}, 1 h by default)
 * @param originIdle a pooled origin connection unused for this long is closed (the cluster's
 *     {@code common_http_protocol_options.idle_timeout}, 1 h by default)
 */
public record HttpTimeouts(Duration requestHeaders, Duration streamIdle, Duration connectionIdle,
    Duration originIdle) {
  public static final HttpTimeouts DEFAULTS = new HttpTimeouts(
      Duration.ofSeconds(10), Duration.ofMinutes(5), Duration.ofHours(1), Duration.ofHours(1));

  public HttpTimeouts {
    Objects.requireNonNull(requestHeaders, "requestHeaders");
    Objects.requireNonNull(streamIdle, "streamIdle");
    Objects.requireNonNull(connectionIdle, "connectionIdle");
    Objects.requireNonNull(originIdle, "originIdle");
  }
}
