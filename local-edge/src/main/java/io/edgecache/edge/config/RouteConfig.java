package io.edgecache.edge.config;

import io.edgecache.http.LargeBodyRoute;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * One static route: requests whose host and path match (and that carry
 * {@code headerPresent}, when set) go to {@code origin}.
 *
 * @param host "*" or an exact host name, compared case-insensitively without the port
 * @param pathPrefix the path must start with this
 * @param origin an http:// URL whose host and port receive the request
 * @param timeout upstream timeout, from the request being sent until the response is complete,
 *     like Envoy's route timeout; zero for none
 * @param headerPresent a request header the route requires, or null
 * @param extProcDisabled whether requests that match on arrival skip the ext_proc filter
 *     ({@code ExtProcPerRoute.disabled})
 */
public record RouteConfig(String host, String pathPrefix, URI origin, Duration timeout,
    String headerPresent, boolean extProcDisabled) {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(15);

  public RouteConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(pathPrefix, "pathPrefix");
    Objects.requireNonNull(origin, "origin");
    Objects.requireNonNull(timeout, "timeout");
    host = host.toLowerCase(Locale.ROOT);
    headerPresent = headerPresent == null ? null : headerPresent.toLowerCase(Locale.ROOT);
  }

  /** A route for every request of {@code host} under {@code pathPrefix}. */
  public RouteConfig(String host, String pathPrefix, URI origin, Duration timeout) {
    this(host, pathPrefix, origin, timeout, null, false);
  }

  /**
   * The route a large cache hit is rerouted on: requests carrying {@link LargeBodyRoute#HEADER}
   * (which the ext_proc server sets) go to the cache node's body endpoint, with no timeout (a body
   * may be gigabytes) and without the filter (a client-set header is refused by the endpoint).
   */
  public static RouteConfig bodyRoute(String endpoint) {
    return new RouteConfig("*", "/", URI.create(endpoint), Duration.ZERO, LargeBodyRoute.HEADER, true);
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
