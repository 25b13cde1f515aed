package io.edgecache.edge.routing;

import com.google.re2j.Pattern;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.netty.handler.codec.http.HttpHeaders;
import java.time.Duration;
import java.util.List;

/**
 * One route of a {@link RouteTable}: how it matches (Envoy's {@code prefix}, {@code path} or
 * {@code safe_regex} on the path, plus header matchers), where it sends the request, and its
 * per-route ext_proc settings ({@code ExtProcPerRoute}: disabled, or extra gRPC initial
 * metadata for the route's ext_proc streams).
 */
public final class RouteEntry {
  /** How the path is matched; {@code value} is a prefix, an exact path or an RE2 pattern. */
  public enum PathMatch { PREFIX, EXACT, REGEX }

  /** A header condition; for PRESENT the value is unused. */
  public record HeaderCondition(String name, Kind kind, String value, Pattern regex) {
    public enum Kind { EXACT, PREFIX, REGEX, PRESENT }

    boolean matches(HttpHeaders headers) {
      String actual = headers.get(name);
      if (actual == null) {
        return false;
      }
      return switch (kind) {
        case EXACT -> actual.equals(value);
        case PREFIX -> actual.startsWith(value);
        case REGEX -> regex.matches(actual);
        case PRESENT -> true;
      };
    }
  }

  private final String name;
  private final PathMatch pathMatch;
  private final String pathValue;
  private final Pattern pathRegex;
  private final List<HeaderCondition> headers;
  private final Upstream upstream;
  private final Duration timeout;
  private final boolean extProcDisabled;
  private final List<HeaderValue> grpcInitialMetadata;

  public RouteEntry(String name, PathMatch pathMatch, String pathValue, List<HeaderCondition> headers,
      Upstream upstream, Duration timeout, boolean extProcDisabled, List<HeaderValue> grpcInitialMetadata) {
    this.name = name;
    this.pathMatch = pathMatch;
    this.pathValue = pathValue;
    this.pathRegex = pathMatch == PathMatch.REGEX ? Pattern.compile(pathValue) : null;
    this.headers = List.copyOf(headers);
    this.upstream = upstream;
    this.timeout = timeout;
    this.extProcDisabled = extProcDisabled;
    this.grpcInitialMetadata = List.copyOf(grpcInitialMetadata);
  }

  public String name() {
    return name;
  }

  public Upstream upstream() {
    return upstream;
  }

  /** Envoy's route timeout: from the request being sent until the response is complete. */
  public Duration timeout() {
    return timeout;
  }

  /** {@code ExtProcPerRoute.disabled}: requests of this route skip the processor. */
  public boolean extProcDisabled() {
    return extProcDisabled;
  }

  /** {@code ExtProcPerRoute.overrides.grpc_initial_metadata}; empty when none. */
  public List<HeaderValue> grpcInitialMetadata() {
    return grpcInitialMetadata;
  }

  /** Whether a request for {@code path} (may carry a query) with {@code headers} takes this route. */
  boolean matches(String path, HttpHeaders requestHeaders) {
    // Like Envoy, exact paths and regexes are matched against the path without its query.
    int query = path.indexOf('?');
    String bare = query < 0 ? path : path.substring(0, query);
    boolean pathMatches = switch (pathMatch) {
      case PREFIX -> path.startsWith(pathValue);
      case EXACT -> bare.equals(pathValue);
      case REGEX -> pathRegex.matches(bare);
    };
    if (!pathMatches) {
      return false;
    }
    for (HeaderCondition header : headers) {
      if (!header.matches(requestHeaders)) {
        return false;
      }
    }
    return true;
  }
}
