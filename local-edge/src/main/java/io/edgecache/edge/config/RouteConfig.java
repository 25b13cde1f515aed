package io.edgecache.edge.config;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * One static route: requests whose host and path match go to {@code origin}.
 *
 * @param host "*" or an exact host name, compared case-insensitively without the port
 * @param pathPrefix the path must start with this
 * @param origin an http:// URL whose host and port receive the request
 * @param timeout upstream timeout, from the request being sent until the response is complete,
 *     like Envoy's route timeout
 */
public record RouteConfig(String host, String pathPrefix, URI origin, Duration timeout) {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(15);

  public RouteConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(pathPrefix, "pathPrefix");
    Objects.requireNonNull(origin, "origin");
    Objects.requireNonNull(timeout, "timeout");
    host = host.toLowerCase(Locale.ROOT);
  }

  /** A route with the default timeout. */
  public static RouteConfig of(String host, String pathPrefix, String origin) {
    return new RouteConfig(host, pathPrefix, URI.create(origin), DEFAULT_TIMEOUT);
  }

  /** The origin's port, defaulting to 80. */
  public int originPort() {
    return origin.getPort() == -1 ? 80 : origin.getPort();
  }
}
