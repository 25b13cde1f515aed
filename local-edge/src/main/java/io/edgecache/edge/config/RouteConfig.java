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

  /** Whether a request with this Host header value (may carry a port) and path takes this route. */
  public boolean matches(String hostHeader, String path) {
    return hostMatches(hostHeader) && path.startsWith(pathPrefix);
  }

  private boolean hostMatches(String hostHeader) {
    if (host.equals("*")) {
      return true;
    }
    if (hostHeader == null) {
      return false;
    }
    String name = hostHeader;
    int colon = name.lastIndexOf(':');
    if (colon >= 0 && name.indexOf(']') < colon) {
      name = name.substring(0, colon);
    }
    return name.equalsIgnoreCase(host);
  }

  /** The origin's port, defaulting to 80. */
  public int originPort() {
    return origin.getPort() == -1 ? 80 : origin.getPort();
  }
}
