package io.edgecache.controlplane.config;

import static io.edgecache.controlplane.config.SectionValues.durationOr;

import io.edgecache.config.ConfigException;
import io.edgecache.config.YamlNode;
import io.edgecache.controlplane.config.EdgecacheConfig.Route;
import io.edgecache.controlplane.config.EdgecacheConfig.Site;
import io.edgecache.controlplane.xds.SnapshotTranslator;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads one item of {@code sites}: its domains and its routes, each naming a cluster already
 * read. A route's match and cache policy have readers of their own.
 */
final class SiteReader {
  private static final Set<String> FIELDS = Set.of("name", "domains", "routes");
  private static final Set<String> ROUTE = Set.of("name", "match", "cluster", "timeout", "cache");

  private final Set<String> clusters;

  /** {@code clusters}: the names routes may send to. */
  SiteReader(Set<String> clusters) {
    this.clusters = Set.copyOf(clusters);
  }

  Site read(YamlNode node) throws ConfigException {
    YamlNode.Fields f = node.mapping(FIELDS);
    String name = f.required("name").name();
    List<String> domains = new ArrayList<>();
    for (YamlNode domain : f.list("domains")) {
      String value = domain.name().toLowerCase(Locale.ROOT);
      if (domains.contains(value)) {
        throw domain.error("duplicate domain '" + value + "'");
      }
      domains.add(value);
    }
    if (domains.isEmpty()) {
      throw f.required("domains").error("at least one domain is required");
    }
    List<Route> routes = new ArrayList<>();
    Set<String> routeNames = new HashSet<>();
    for (YamlNode item : f.list("routes")) {
      Route route = route(name, item);
      if (!routeNames.add(route.name())) {
        throw item.error("duplicate route name '" + route.name() + "' in site " + name);
      }
      routes.add(route);
    }
    if (routes.isEmpty()) {
      throw f.required("routes").error("at least one route is required");
    }
    return new Site(name, domains, routes);
  }

  private Route route(String site, YamlNode node) throws ConfigException {
    YamlNode.Fields f = node.mapping(ROUTE);
    String name = f.required("name").name();
    YamlNode clusterNode = f.required("cluster");
    String cluster = clusterNode.name();
    if (!clusters.contains(cluster)) {
      throw clusterNode.error("unknown cluster '" + cluster + "' (defined: " + clusters.stream().sorted().toList() + ")");
    }
    Route route = new Route(name, site + "/" + name, RouteMatchReader.read(f.required("match")), cluster,
        durationOr(f.optional("timeout"), Route.DEFAULT_TIMEOUT), CachePolicyReader.read(f.optional("cache")));
    EnvoyAcceptance.require(SnapshotTranslator.route(route), f);
    return route;
  }
}
