package io.edgecache.edge.xds;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.edgecache.edge.routing.RouteTable;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The xDS resources local-edge holds, one immutable set per accepted state: a response is
 * applied to a copy ({@link #with}), the copy is checked by building the route table from it,
 * and only then does it replace the accepted set, so a rejected response changes nothing.
 */
record XdsResources(Map<String, Listener> listeners, Map<String, RouteConfiguration> routes,
    Map<String, Cluster> clusters, Map<String, ClusterLoadAssignment> endpoints) {

  static final String LISTENER = "type.googleapis.com/envoy.config.listener.v3.Listener";
  static final String ROUTE = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
  static final String CLUSTER = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
  static final String ENDPOINT = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

  static final XdsResources EMPTY = new XdsResources(Map.of(), Map.of(), Map.of(), Map.of());

  /** This set with the resources of one state-of-the-world response of {@code typeUrl} replacing that type. */
  XdsResources with(String typeUrl, List<Any> resources) throws XdsRejection {
    return switch (typeUrl) {
      case LISTENER -> new XdsResources(decode(resources, Listener.class, Listener::getName), routes, clusters, endpoints);
      case ROUTE -> new XdsResources(listeners, decode(resources, RouteConfiguration.class,
          RouteConfiguration::getName), clusters, endpoints);
      case CLUSTER -> new XdsResources(listeners, routes, decode(resources, Cluster.class, Cluster::getName), endpoints);
      case ENDPOINT -> new XdsResources(listeners, routes, clusters, decode(resources, ClusterLoadAssignment.class,
          ClusterLoadAssignment::getClusterName));
      default -> throw new XdsRejection("unexpected resource type " + typeUrl);
    };
  }

  /** The listener local-edge serves: the named one, else the only one; empty when not there yet. */
  Optional<Listener> listener(Optional<String> name) throws XdsRejection {
    if (name.isPresent()) {
      return Optional.ofNullable(listeners.get(name.get()));
    }
    if (listeners.size() > 1) {
      throw new XdsRejection("local-edge serves one listener and got " + listeners.keySet()
          + "; name one with xds.listener");
    }
    return listeners.values().stream().findFirst();
  }

  /** The RDS names to subscribe to: the route table of the served listener. */
  Set<String> routeNames(Optional<String> listenerName) throws XdsRejection {
    Set<String> names = new TreeSet<>();
    Optional<Listener> listener = listener(listenerName);
    if (listener.isPresent()) {
      names.add(XdsRouteTableBuilder.connectionManager(listener.get()).getRds().getRouteConfigName());
    }
    return names;
  }

  /** The EDS names to subscribe to: every EDS cluster. */
  Set<String> endpointNames() {
    Set<String> names = new TreeSet<>();
    clusters.values().stream().filter(c -> c.getType() == Cluster.DiscoveryType.EDS).forEach(c -> names.add(c.getName()));
    return names;
  }

  /**
   * The route table these resources describe; empty while a piece is missing. Its ext_proc filter
   * is the listener's, else {@code fallbackFilter} (the bootstrap's); one of them must exist.
   */
  Optional<RouteTable> routeTable(Optional<String> listenerName, String version,
      Optional<ExternalProcessor> fallbackFilter) throws XdsRejection {
    Optional<Listener> listener = listener(listenerName);
    if (listener.isEmpty()) {
      return Optional.empty();
    }
    HttpConnectionManager hcm = XdsRouteTableBuilder.connectionManager(listener.get());
    Optional<ExternalProcessor> filter = XdsRouteTableBuilder.extProcFilter(hcm, listener.get().getName())
        .or(() -> fallbackFilter);
    if (filter.isEmpty()) {
      throw new XdsRejection("listener " + listener.get().getName() + ": no ext_proc filter, and local-edge has no"
          + " envoyBootstrap to take one from");
    }
    RouteConfiguration table = routes.get(hcm.getRds().getRouteConfigName());
    if (table == null) {
      return Optional.empty();
    }
    return XdsRouteTableBuilder.build(version, filter.get(),
        XdsRouteTableBuilder.pathNormalizer(hcm, listener.get().getName()), table, clusters, endpoints);
  }

  private static <T extends Message> Map<String, T> decode(List<Any> resources, Class<T> type,
      Function<T, String> name) throws XdsRejection {
    Map<String, T> byName = new LinkedHashMap<>();
    for (Any resource : resources) {
      try {
        T message = resource.unpack(type);
        byName.put(name.apply(message), message);
      } catch (InvalidProtocolBufferException e) {
        throw new XdsRejection("cannot decode " + resource.getTypeUrl() + " as " + type.getSimpleName() + ": "
            + e.getMessage());
      }
    }
    return Map.copyOf(byName);
  }
}
