package io.edgecache.edge.routing;

import io.edgecache.edge.config.RouteConfig;
import io.edgecache.edge.extproc.InitialMetadata;
import io.edgecache.http.EscapedSlashes;
import io.edgecache.http.PathNormalizer;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An immutable routing table, swapped atomically when the control plane pushes a new one: an
 * exchange takes the table once and uses it throughout, so a change never splits a request.
 * Virtual hosts are chosen as Envoy chooses them (exact domain, then the longest {@code *.suffix},
 * then the longest {@code prefix*}, then {@code *}); within one, the first matching route wins.
 */
public final class RouteTable {
  /** A virtual host: its domains (lower case) and ordered routes. */
  public record VirtualHost(String name, List<String> domains, List<RouteEntry> routes) {
    public VirtualHost {
      domains = List.copyOf(domains);
      routes = List.copyOf(routes);
    }
  }

  private final String version;
  private final List<VirtualHost> virtualHosts;
  private final ExternalProcessor filter;
  private final PathNormalizer paths;
  /** Per route, the ext_proc stream's initial metadata: merged and formatted once, not per request. */
  private final Map<RouteEntry, InitialMetadata> initialMetadata = new IdentityHashMap<>();
  private final InitialMetadata unroutedMetadata;

  public RouteTable(String version, List<VirtualHost> virtualHosts, ExternalProcessor filter,
      PathNormalizer paths) {
    this.version = version;
    this.virtualHosts = List.copyOf(virtualHosts);
    this.filter = filter;
    this.paths = paths;
    List<HeaderValue> filterLevel = filter == null ? List.of() : filter.getGrpcService().getInitialMetadataList();
    this.unroutedMetadata = InitialMetadata.of(filterLevel, List.of());
    for (VirtualHost host : this.virtualHosts) {
      for (RouteEntry route : host.routes()) {
        initialMetadata.put(route, InitialMetadata.of(filterLevel, route.grpcInitialMetadata()));
      }
    }
  }

  /**
   * The static routes of a local-edge YAML file: one virtual host per distinct host, filtered by
   * the bootstrap's ext_proc filter {@code filter} (null only when there are no static routes and
   * an xDS table replaces this one before the listener opens).
   */
  public static RouteTable ofStatic(List<RouteConfig> routes, ExternalProcessor filter) {
    Map<String, List<RouteEntry>> byHost = new LinkedHashMap<>();
    for (RouteConfig route : routes) {
      Upstream upstream = new Upstream(route.origin().toString(),
          List.of(new Upstream.Endpoint(route.origin().getHost(), route.originPort())));
      List<RouteEntry.HeaderCondition> headers = route.headerPresent() == null ? List.of()
          : List.of(new RouteEntry.HeaderCondition(route.headerPresent(),
              RouteEntry.HeaderCondition.Kind.PRESENT, null, null));
      byHost.computeIfAbsent(route.host(), h -> new ArrayList<>()).add(new RouteEntry(route.pathPrefix(),
          RouteEntry.PathMatch.PREFIX, route.pathPrefix(), headers, upstream, route.timeout(),
          route.extProcDisabled(), List.of()));
    }
    List<VirtualHost> hosts = new ArrayList<>();
    byHost.forEach((host, entries) -> hosts.add(new VirtualHost(host, List.of(host), entries)));
    // envoy/envoy.yaml's connection manager: normalize_path, merge_slashes, REJECT_REQUEST.
    return new RouteTable("static", hosts, filter, new PathNormalizer(EscapedSlashes.REJECT));
  }

  /** Which configuration this is: the xDS versions it was built from, or "static". */
  public String version() {
    return version;
  }

  /** The ext_proc filter requests take: the xDS listener's, else the bootstrap's. */
  public ExternalProcessor filter() {
    return filter;
  }

  /**
   * The listener's path handling (HttpConnectionManager {@code normalize_path},
   * {@code merge_slashes}, {@code path_with_escaped_slashes_action}), applied to every request
   * before it is routed or reaches the processor.
   */
  public PathNormalizer paths() {
    return paths;
  }

  /**
   * The initial metadata of the ext_proc stream of a request that matched {@code arrivalRoute}
   * on arrival (null: none matched): the filter's, with the route's overrides merged in.
   */
  public InitialMetadata initialMetadata(RouteEntry arrivalRoute) {
    return arrivalRoute == null ? unroutedMetadata : initialMetadata.get(arrivalRoute);
  }

  /** The route for a request, or null when none matches (Envoy answers 404). */
  public RouteEntry match(String authority, String path, HttpHeaders headers) {
    VirtualHost host = virtualHost(authority == null ? "" : hostOf(authority));
    if (host == null) {
      return null;
    }
    for (RouteEntry route : host.routes()) {
      if (route.matches(path, headers)) {
        return route;
      }
    }
    return null;
  }

  private VirtualHost virtualHost(String host) {
    VirtualHost best = null;
    int bestRank = Integer.MAX_VALUE;
    int bestLength = -1;
    for (VirtualHost candidate : virtualHosts) {
      for (String domain : candidate.domains()) {
        int rank;
        if (domain.equals(host)) {
          return candidate;
        } else if (domain.equals("*")) {
          rank = 3;
        } else if (domain.startsWith("*") && host.endsWith(domain.substring(1)) && host.length() > domain.length() - 1) {
          rank = 1;
        } else if (domain.endsWith("*") && host.startsWith(domain.substring(0, domain.length() - 1))
            && host.length() > domain.length() - 1) {
          rank = 2;
        } else {
          continue;
        }
        if (rank < bestRank || (rank == bestRank && domain.length() > bestLength)) {
          best = candidate;
          bestRank = rank;
          bestLength = domain.length();
        }
      }
    }
    return best;
  }

  private static String hostOf(String authority) {
    int colon = authority.lastIndexOf(':');
    String host = colon >= 0 && authority.indexOf(']') < colon ? authority.substring(0, colon) : authority;
    return host.toLowerCase(Locale.ROOT);
  }
}
