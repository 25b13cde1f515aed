package io.edgecache.controlplane.config;

import static io.edgecache.controlplane.config.SectionValues.enumOr;
import static io.edgecache.controlplane.config.SectionValues.hostPort;

import io.edgecache.config.ConfigException;
import io.edgecache.config.YamlNode;
import io.edgecache.controlplane.config.EdgecacheConfig.HostPort;
import io.edgecache.controlplane.config.EdgecacheConfig.ListenerSpec;
import io.edgecache.controlplane.config.EdgecacheConfig.Site;
import io.edgecache.http.EscapedSlashes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads one item of {@code listeners}: its address and the sites, already read, of its route table. */
final class ListenerReader {
  private static final Set<String> FIELDS = Set.of("name", "address", "sites", "escapedSlashes");

  private final Map<String, Site> sites;

  /** {@code sites}: the sites a listener may name, by name. */
  ListenerReader(Map<String, Site> sites) {
    this.sites = Map.copyOf(sites);
  }

  ListenerSpec read(YamlNode node) throws ConfigException {
    YamlNode.Fields f = node.mapping(FIELDS);
    String name = f.required("name").name();
    HostPort address = hostPort(f.required("address"));
    List<String> names = new ArrayList<>();
    Map<String, String> domainOwners = new HashMap<>();
    for (YamlNode item : f.list("sites")) {
      Site site = sites.get(item.name());
      if (site == null) {
        throw item.error("unknown site '" + item.name() + "'");
      }
      for (String domain : site.domains()) {
        // Envoy rejects a route table in which two virtual hosts claim one domain.
        String other = domainOwners.putIfAbsent(domain, site.name());
        if (other != null) {
          throw item.error("domain '" + domain + "' is served by both site " + other + " and site " + site.name());
        }
      }
      names.add(site.name());
    }
    if (names.isEmpty()) {
      throw f.required("sites").error("at least one site is required");
    }
    EscapedSlashes escapedSlashes = enumOr(f.optional("escapedSlashes"), EscapedSlashes.class,
        ListenerSpec.DEFAULT_ESCAPED_SLASHES);
    return new ListenerSpec(name, address, names, escapedSlashes);
  }
}
