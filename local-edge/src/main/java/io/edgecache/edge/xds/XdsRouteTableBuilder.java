package io.edgecache.edge.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.Durations;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import io.edgecache.config.ConfigException;
import io.edgecache.edge.config.ExtProcConfigValidator;
import io.edgecache.edge.config.RouteConfig;
import io.edgecache.edge.routing.RouteEntry;
import io.edgecache.edge.routing.RouteEntry.HeaderCondition;
import io.edgecache.edge.routing.RouteTable;
import io.edgecache.edge.routing.Upstream;
import io.edgecache.http.EscapedSlashes;
import io.edgecache.http.PathNormalizer;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExtProcOverrides;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Builds a {@link RouteTable} from xDS resources: the listener's HttpConnectionManager (its
 * ext_proc filter and the name of its RDS route table), that route table, and the clusters and
 * endpoint assignments its routes use. Anything local-edge cannot reproduce exactly (TLS to the
 * origin, redirects, other matchers, other ext_proc overrides) is a {@link XdsRejection}: the
 * response is NACKed and the old table stays, rather than local-edge guessing.
 *
 * <p>Only clusters a route names are read. The pushed {@code edgecache_ext_proc} cluster (its
 * address and any TLS, from the control plane's {@code extProc.tls}) is for Envoy and is
 * accepted unread: local-edge's own {@code extProcTarget} and {@code tls} decide its ext_proc
 * channel.
 */
final class XdsRouteTableBuilder {
  static final String EXT_PROC_FILTER = "envoy.filters.http.ext_proc";

  private XdsRouteTableBuilder() {}

  /** The listener's HttpConnectionManager; a rejection if it has none. */
  static HttpConnectionManager connectionManager(Listener listener) throws XdsRejection {
    for (var chain : listener.getFilterChainsList()) {
      for (Filter filter : chain.getFiltersList()) {
        if (filter.getTypedConfig().is(HttpConnectionManager.class)) {
          HttpConnectionManager hcm = unpack(filter.getTypedConfig(), HttpConnectionManager.class,
              "listener " + listener.getName());
          if (!hcm.hasRds()) {
            throw new XdsRejection("listener " + listener.getName() + ": local-edge needs the route table over RDS");
          }
          return hcm;
        }
      }
    }
    throw new XdsRejection("listener " + listener.getName() + ": no HttpConnectionManager filter");
  }

  /**
   * How the connection manager treats request paths. local-edge always normalises and merges
   * slashes, as the control plane configures Envoy; the escaped-slash action is the HCM's
   * (Envoy's default is KEEP_UNCHANGED). A redirect it cannot emulate is rejected.
   */
  static PathNormalizer pathNormalizer(HttpConnectionManager hcm, String listener) throws XdsRejection {
    EscapedSlashes action = switch (hcm.getPathWithEscapedSlashesAction()) {
      case REJECT_REQUEST -> EscapedSlashes.REJECT;
      case UNESCAPE_AND_FORWARD -> EscapedSlashes.UNESCAPE;
      case KEEP_UNCHANGED, IMPLEMENTATION_SPECIFIC_DEFAULT -> EscapedSlashes.KEEP;
      default -> throw new XdsRejection("listener " + listener + ": path_with_escaped_slashes_action "
          + hcm.getPathWithEscapedSlashesAction() + " is not supported by local-edge");
    };
    return new PathNormalizer(action);
  }

  /** The ext_proc filter of {@code hcm}, validated; empty when it has none. */
  static Optional<ExternalProcessor> extProcFilter(HttpConnectionManager hcm, String listener) throws XdsRejection {
    for (var filter : hcm.getHttpFiltersList()) {
      if (filter.getTypedConfig().is(ExternalProcessor.class)) {
        ExternalProcessor config = unpack(filter.getTypedConfig(), ExternalProcessor.class, "listener " + listener);
        try {
          ExtProcConfigValidator.validate(config, "listener " + listener);
        } catch (ConfigException e) {
          throw new XdsRejection(e.getMessage());
        }
        return Optional.of(config);
      }
    }
    return Optional.empty();
  }

  /**
   * Builds the table; empty while a referenced cluster or endpoint assignment has not arrived
   * yet (the caller keeps the old table until the set is complete, as Envoy warms clusters).
   */
  static Optional<RouteTable> build(String version, ExternalProcessor filter, PathNormalizer paths,
      RouteConfiguration routes, Map<String, Cluster> clusters, Map<String, ClusterLoadAssignment> endpoints)
      throws XdsRejection {
    List<RouteTable.VirtualHost> hosts = new ArrayList<>();
    for (VirtualHost host : routes.getVirtualHostsList()) {
      List<RouteEntry> entries = new ArrayList<>();
      for (Route route : host.getRoutesList()) {
        String where = "route table " + routes.getName() + ", virtual host " + host.getName() + ", route "
            + route.getName();
        if (!route.hasRoute() || route.getRoute().getCluster().isEmpty()) {
          throw new XdsRejection(where + ": only route actions to a named cluster are supported by local-edge");
        }
        Optional<Upstream> upstream = upstream(route.getRoute().getCluster(), clusters, endpoints, where);
        if (upstream.isEmpty()) {
          return Optional.empty();
        }
        entries.add(entry(route, upstream.get(), where));
      }
      hosts.add(new RouteTable.VirtualHost(host.getName(),
          host.getDomainsList().stream().map(d -> d.toLowerCase(Locale.ROOT)).toList(), entries));
    }
    return Optional.of(new RouteTable(version, hosts, filter, paths));
  }

  private static RouteEntry entry(Route route, Upstream upstream, String where) throws XdsRejection {
    RouteMatch match = route.getMatch();
    RouteEntry.PathMatch kind;
    String value;
    switch (match.getPathSpecifierCase()) {
      case PREFIX -> {
        kind = RouteEntry.PathMatch.PREFIX;
        value = match.getPrefix();
      }
      case PATH -> {
        kind = RouteEntry.PathMatch.EXACT;
        value = match.getPath();
      }
      case SAFE_REGEX -> {
        kind = RouteEntry.PathMatch.REGEX;
        value = compile(match.getSafeRegex().getRegex(), where + ": match.safe_regex").pattern();
      }
      default -> throw new XdsRejection(where + ": match." + match.getPathSpecifierCase()
          + " is not supported by local-edge");
    }
    if (match.hasCaseSensitive() || match.getQueryParametersCount() > 0 || match.hasRuntimeFraction()) {
      throw new XdsRejection(where + ": only path and header matching are supported by local-edge");
    }
    List<HeaderCondition> headers = new ArrayList<>();
    for (HeaderMatcher header : match.getHeadersList()) {
      headers.add(header(header, where));
    }
    boolean disabled = false;
    List<HeaderValue> metadata = List.of();
    Any perRoute = route.getTypedPerFilterConfigMap().get(EXT_PROC_FILTER);
    if (perRoute != null) {
      ExtProcPerRoute config = unpack(perRoute, ExtProcPerRoute.class, where);
      disabled = config.getDisabled();
      ExtProcOverrides overrides = config.getOverrides();
      if (!overrides.toBuilder().clearGrpcInitialMetadata().build().equals(ExtProcOverrides.getDefaultInstance())) {
        throw new XdsRejection(where + ": ExtProcPerRoute.overrides: only grpc_initial_metadata is supported by local-edge");
      }
      metadata = overrides.getGrpcInitialMetadataList();
    }
    Duration timeout = route.getRoute().hasTimeout()
        ? Duration.ofNanos(Durations.toNanos(route.getRoute().getTimeout()))
        : RouteConfig.DEFAULT_TIMEOUT;
    return new RouteEntry(route.getName(), kind, value, headers, upstream, timeout, disabled, metadata);
  }

  private static HeaderCondition header(HeaderMatcher header, String where) throws XdsRejection {
    String name = header.getName().toLowerCase(Locale.ROOT);
    if (header.getInvertMatch()) {
      throw new XdsRejection(where + ": header " + name + ": invert_match is not supported by local-edge");
    }
    if (header.getPresentMatch()) {
      return new HeaderCondition(name, HeaderCondition.Kind.PRESENT, "", null);
    }
    StringMatcher string = header.getStringMatch();
    if (!header.hasStringMatch() || string.getIgnoreCase()) {
      throw new XdsRejection(where + ": header " + name + ": only string_match (case-sensitive) and present_match"
          + " are supported by local-edge");
    }
    return switch (string.getMatchPatternCase()) {
      case EXACT -> new HeaderCondition(name, HeaderCondition.Kind.EXACT, string.getExact(), null);
      case PREFIX -> new HeaderCondition(name, HeaderCondition.Kind.PREFIX, string.getPrefix(), null);
      case SAFE_REGEX -> new HeaderCondition(name, HeaderCondition.Kind.REGEX, string.getSafeRegex().getRegex(),
          compile(string.getSafeRegex().getRegex(), where + ": header " + name));
      default -> throw new XdsRejection(where + ": header " + name + ": string_match."
          + string.getMatchPatternCase() + " is not supported by local-edge");
    };
  }

  private static Optional<Upstream> upstream(String name, Map<String, Cluster> clusters,
      Map<String, ClusterLoadAssignment> endpoints, String where) throws XdsRejection {
    Cluster cluster = clusters.get(name);
    if (cluster == null) {
      return Optional.empty();
    }
    if (cluster.hasTransportSocket()) {
      throw new XdsRejection("cluster " + name + " (used by " + where + "): TLS to the origin is not supported by"
          + " local-edge");
    }
    ClusterLoadAssignment assignment;
    switch (cluster.getType()) {
      case STATIC, STRICT_DNS, LOGICAL_DNS -> assignment = cluster.getLoadAssignment();
      case EDS -> {
        assignment = endpoints.get(name);
        if (assignment == null) {
          return Optional.empty();
        }
      }
      default -> throw new XdsRejection("cluster " + name + ": type " + cluster.getType()
          + " is not supported by local-edge");
    }
    List<Upstream.Endpoint> list = new ArrayList<>();
    for (LocalityLbEndpoints locality : assignment.getEndpointsList()) {
      for (LbEndpoint endpoint : locality.getLbEndpointsList()) {
        var socket = endpoint.getEndpoint().getAddress().getSocketAddress();
        list.add(new Upstream.Endpoint(socket.getAddress(), socket.getPortValue()));
      }
    }
    if (list.isEmpty()) {
      throw new XdsRejection("cluster " + name + ": no endpoints");
    }
    return Optional.of(new Upstream(name, list));
  }

  private static Pattern compile(String regex, String where) throws XdsRejection {
    try {
      return Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      throw new XdsRejection(where + ": invalid RE2 regex '" + regex + "': " + e.getDescription());
    }
  }

  private static <T extends com.google.protobuf.Message> T unpack(Any any, Class<T> type, String where)
      throws XdsRejection {
    try {
      return any.unpack(type);
    } catch (InvalidProtocolBufferException e) {
      throw new XdsRejection(where + ": cannot decode " + any.getTypeUrl() + ": " + e.getMessage());
    }
  }
}
