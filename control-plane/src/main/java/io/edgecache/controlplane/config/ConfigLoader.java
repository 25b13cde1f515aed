package io.edgecache.controlplane.config;

import com.google.protobuf.Message;
import com.google.re2j.PatternSyntaxException;
import io.edgecache.config.ConfigException;
import io.edgecache.config.YamlNode;
import io.edgecache.controlplane.config.EdgecacheConfig.CacheMode;
import io.edgecache.controlplane.config.EdgecacheConfig.CachePolicy;
import io.edgecache.controlplane.config.EdgecacheConfig.ClusterSpec;
import io.edgecache.controlplane.config.EdgecacheConfig.DiscoveryType;
import io.edgecache.controlplane.config.EdgecacheConfig.ExtProc;
import io.edgecache.controlplane.config.EdgecacheConfig.ExtProcTls;
import io.edgecache.controlplane.config.EdgecacheConfig.HeaderMatch;
import io.edgecache.controlplane.config.EdgecacheConfig.HeaderMatchKind;
import io.edgecache.controlplane.config.EdgecacheConfig.HealthCheck;
import io.edgecache.controlplane.config.EdgecacheConfig.HostPort;
import io.edgecache.controlplane.config.EdgecacheConfig.KubernetesService;
import io.edgecache.controlplane.config.EdgecacheConfig.LbPolicy;
import io.edgecache.controlplane.config.EdgecacheConfig.ListenerSpec;
import io.edgecache.controlplane.config.EdgecacheConfig.NodeGroupSpec;
import io.edgecache.controlplane.config.EdgecacheConfig.Route;
import io.edgecache.controlplane.config.EdgecacheConfig.RouteMatch;
import io.edgecache.controlplane.config.EdgecacheConfig.Site;
import io.edgecache.controlplane.config.EdgecacheConfig.Tls;
import io.edgecache.controlplane.xds.ProtoRules;
import io.edgecache.controlplane.xds.SnapshotTranslator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import io.edgecache.http.EscapedSlashes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads the control-plane configuration from one YAML file or from every {@code *.yaml} /
 * {@code *.yml} file of a directory (their lists are concatenated, in file-name order) and
 * validates all of it. The first problem found is thrown as a {@link ConfigException} naming the
 * file, the line and the field: unknown fields, missing or malformed values, duplicate names,
 * references to unknown clusters, sites or listeners, and regexes RE2 (Envoy's regex engine)
 * rejects.
 */
public final class ConfigLoader {
  // "purge", "tls" and "nodes" are read once at start by PurgeSettingsLoader and
  // SecuritySettingsLoader; the xDS reload ignores them.
  static final Set<String> TOP_LEVEL = Set.of("extProc", "clusters", "sites", "listeners", "nodeGroups",
      "purge", "tls", "nodes");
  private static final Set<String> EXT_PROC = Set.of("address", "failureModeAllow", "messageTimeout",
      "maxMessageTimeout", "grpcTimeout", "bodyEndpoint", "tls");
  private static final Set<String> EXT_PROC_TLS = Set.of("certFile", "keyFile", "caFile", "sni");
  private static final Set<String> CLUSTER = Set.of("name", "type", "endpoints", "lbPolicy", "connectTimeout",
      "healthCheck", "tls", "kubernetes");
  private static final Set<String> HEALTH_CHECK = Set.of("path", "interval", "timeout", "healthyThreshold",
      "unhealthyThreshold");
  private static final Set<String> TLS = Set.of("sni", "caFile");
  private static final Set<String> KUBERNETES = Set.of("service", "namespace", "port");
  private static final Set<String> SITE = Set.of("name", "domains", "routes");
  private static final Set<String> ROUTE = Set.of("name", "match", "cluster", "timeout", "cache");
  private static final Set<String> MATCH = Set.of("prefix", "path", "regex", "headers");
  private static final Set<String> HEADER = Set.of("name", "exact", "prefix", "regex", "present");
  private static final Set<String> CACHE = Set.of("mode", "defaultTtl", "maxTtl", "shareResponsesWithSetCookie",
      "cacheEverythingWithCredentials", "storeResponsesToCookieRequests", "stripHeaders", "forwardExcludedQuery",
      "storeSetCookie");
  private static final Set<String> LISTENER = Set.of("name", "address", "sites", "escapedSlashes");
  private static final Set<String> NODE_GROUP = Set.of("name", "listeners");

  private static final ProtoRules RULES = new ProtoRules(SnapshotTranslator.PACKED_TYPES::find);

  private ConfigLoader() {}

  /** Loads {@code source}, a YAML file or a directory of them. */
  public static EdgecacheConfig load(Path source) throws ConfigException {
    List<YamlNode.Fields> documents = new ArrayList<>();
    for (Path file : files(source)) {
      YamlNode root = YamlNode.read(file);
      if (root != null) {
        documents.add(root.mapping(TOP_LEVEL));
      }
    }
    return new ConfigLoader.Reader(documents).read();
  }

  /** The files {@code source} stands for, in a stable order. */
  public static List<Path> files(Path source) throws ConfigException {
    if (!Files.isDirectory(source)) {
      if (!Files.isRegularFile(source)) {
        throw new ConfigException(source + ": no such file or directory");
      }
      return List.of(source);
    }
    try (Stream<Path> entries = Files.list(source)) {
      List<Path> files = entries
          .filter(p -> p.getFileName().toString().matches(".*\\.ya?ml") && Files.isRegularFile(p))
          .sorted()
          .toList();
      if (files.isEmpty()) {
        throw new ConfigException(source + ": directory holds no *.yaml file");
      }
      return files;
    } catch (IOException e) {
      throw new ConfigException(source + ": cannot list: " + e.getMessage(), e);
    }
  }

  /** {@code host:port} with a port to connect to or listen on (1 to 65535). */
  static HostPort hostPort(YamlNode node) throws ConfigException {
    io.edgecache.config.HostPort parsed = node.hostPort();
    if (parsed.port() == 0) {
      throw node.error("expected host:port with a port from 1 to 65535, got '" + node.string() + "'");
    }
    return new HostPort(parsed.host(), parsed.port());
  }

  /** One pass over the parsed documents; names seen so far resolve references. */
  private static final class Reader {
    private final List<YamlNode.Fields> documents;
    private final Map<String, ClusterSpec> clusters = new HashMap<>();
    private final Map<String, Site> sites = new HashMap<>();
    private final Map<String, ListenerSpec> listeners = new HashMap<>();

    Reader(List<YamlNode.Fields> documents) {
      this.documents = documents;
    }

    EdgecacheConfig read() throws ConfigException {
      ExtProc extProc = null;
      YamlNode extProcNode = null;
      for (YamlNode.Fields document : documents) {
        YamlNode node = document.optional("extProc");
        if (node != null) {
          if (extProcNode != null) {
            throw node.error("extProc is already defined at " + extProcNode.file() + ":" + extProcNode.line());
          }
          extProcNode = node;
          extProc = extProc(node);
        }
      }
      if (extProc == null) {
        throw new ConfigException(documents.isEmpty() ? "configuration is empty"
            : "extProc: required in one of the configuration files");
      }
      List<ClusterSpec> clusterList = new ArrayList<>();
      for (YamlNode item : items("clusters")) {
        ClusterSpec cluster = cluster(item);
        unique(clusters, cluster.name(), cluster, item, "cluster");
        clusterList.add(cluster);
      }
      List<Site> siteList = new ArrayList<>();
      for (YamlNode item : items("sites")) {
        Site site = site(item);
        unique(sites, site.name(), site, item, "site");
        siteList.add(site);
      }
      List<ListenerSpec> listenerList = new ArrayList<>();
      for (YamlNode item : items("listeners")) {
        ListenerSpec listener = listener(item);
        unique(listeners, listener.name(), listener, item, "listener");
        listenerList.add(listener);
      }
      Map<String, NodeGroupSpec> groups = new HashMap<>();
      List<NodeGroupSpec> groupList = new ArrayList<>();
      for (YamlNode item : items("nodeGroups")) {
        NodeGroupSpec group = nodeGroup(item);
        unique(groups, group.name(), group, item, "node group");
        groupList.add(group);
      }
      if (groupList.isEmpty()) {
        throw new ConfigException(extProcNode.file() + ": nodeGroups: at least one node group is required");
      }
      return new EdgecacheConfig(extProc, clusterList, siteList, listenerList, groupList);
    }

    private List<YamlNode> items(String field) throws ConfigException {
      List<YamlNode> all = new ArrayList<>();
      for (YamlNode.Fields document : documents) {
        all.addAll(document.list(field));
      }
      return all;
    }

    private static <T> void unique(Map<String, T> seen, String name, T value, YamlNode item, String kind)
        throws ConfigException {
      if (seen.putIfAbsent(name, value) != null) {
        throw item.error("duplicate " + kind + " name '" + name + "'");
      }
    }

    private ExtProc extProc(YamlNode node) throws ConfigException {
      YamlNode.Fields f = node.mapping(EXT_PROC);
      ExtProc extProc = new ExtProc(
          hostPort(f.required("address")),
          f.optional("failureModeAllow") == null || f.optional("failureModeAllow").bool(),
          durationOr(f.optional("messageTimeout"), Duration.ofMillis(200)),
          durationOr(f.optional("maxMessageTimeout"), Duration.ofSeconds(5)),
          durationOr(f.optional("grpcTimeout"), Duration.ofSeconds(1)),
          f.optional("bodyEndpoint") == null ? Optional.empty()
              : Optional.of(hostPort(f.optional("bodyEndpoint"))),
          f.optional("tls") == null ? Optional.empty() : Optional.of(extProcTls(f.optional("tls"))));
      envoyAccepts(SnapshotTranslator.externalProcessor(extProc), node, f);
      envoyAccepts(SnapshotTranslator.extProcCluster(extProc), node, f);
      return extProc;
    }

    /** The files are Envoy's, on its host: they cannot be checked here, only their form. */
    private static ExtProcTls extProcTls(YamlNode node) throws ConfigException {
      YamlNode.Fields t = node.mapping(EXT_PROC_TLS);
      return new ExtProcTls(envoyPath(t.required("certFile")), envoyPath(t.required("keyFile")),
          envoyPath(t.required("caFile")),
          t.optional("sni") == null ? Optional.empty() : Optional.of(t.optional("sni").name()));
    }

    /** A relative path would resolve against Envoy's working directory, not this file's. */
    private static String envoyPath(YamlNode node) throws ConfigException {
      String path = node.name();
      if (!path.startsWith("/")) {
        throw node.error("must be an absolute path on the Envoy host, got '" + path + "'");
      }
      return path;
    }

    private ClusterSpec cluster(YamlNode node) throws ConfigException {
      YamlNode.Fields f = node.mapping(CLUSTER);
      String name = f.required("name").name();
      Optional<KubernetesService> kubernetes = Optional.empty();
      if (f.optional("kubernetes") != null) {
        if (f.optional("type") != null || f.optional("endpoints") != null) {
          throw f.optional("kubernetes").error("a cluster takes its endpoints from kubernetes or from"
              + " type/endpoints, not both");
        }
        kubernetes = Optional.of(kubernetesService(f.optional("kubernetes")));
      }
      DiscoveryType type = kubernetes.isPresent() ? DiscoveryType.KUBERNETES
          : f.optional("type") == null ? DiscoveryType.STATIC
          : enumValue(f.optional("type"), DiscoveryType.class);
      if (type == DiscoveryType.KUBERNETES && kubernetes.isEmpty()) {
        throw f.optional("type").error("type kubernetes needs a kubernetes: {service, namespace, port} field"
            + " instead of type");
      }
      List<HostPort> endpoints = new ArrayList<>();
      for (YamlNode endpoint : f.list("endpoints")) {
        HostPort address = hostPort(endpoint);
        if (type == DiscoveryType.STATIC && !address.isIpLiteral()) {
          // Envoy accepts only IP addresses in EDS; names need DNS resolution by Envoy.
          throw endpoint.error("a static cluster's endpoints must be IP addresses; use type: dns for host names");
        }
        endpoints.add(address);
      }
      if (endpoints.isEmpty() && kubernetes.isEmpty()) {
        throw f.required("endpoints").error("at least one host:port endpoint is required");
      }
      LbPolicy lb = f.optional("lbPolicy") == null ? LbPolicy.ROUND_ROBIN
          : enumValue(f.optional("lbPolicy"), LbPolicy.class);
      Duration connectTimeout = durationOr(f.optional("connectTimeout"), Duration.ofSeconds(1));
      Optional<HealthCheck> healthCheck = Optional.empty();
      if (f.optional("healthCheck") != null) {
        YamlNode.Fields h = f.optional("healthCheck").mapping(HEALTH_CHECK);
        String path = h.required("path").name();
        if (!path.startsWith("/")) {
          throw h.required("path").error("must start with /");
        }
        healthCheck = Optional.of(new HealthCheck(path,
            durationOr(h.optional("interval"), Duration.ofSeconds(5)),
            durationOr(h.optional("timeout"), Duration.ofSeconds(1)),
            h.optional("healthyThreshold") == null ? 2 : h.optional("healthyThreshold").positiveInt(),
            h.optional("unhealthyThreshold") == null ? 3 : h.optional("unhealthyThreshold").positiveInt()));
      }
      Optional<Tls> tls = Optional.empty();
      if (f.optional("tls") != null) {
        YamlNode.Fields t = f.optional("tls").mapping(TLS);
        tls = Optional.of(new Tls(t.required("sni").name(),
            t.optional("caFile") == null ? Optional.empty() : Optional.of(t.optional("caFile").name())));
      }
      ClusterSpec cluster = new ClusterSpec(name, type, endpoints, lb, connectTimeout, healthCheck, tls,
          kubernetes);
      envoyAccepts(SnapshotTranslator.cluster(cluster), node, f);
      return cluster;
    }

    /** {@code {service: NAME, namespace: NS, port: NAME|NUMBER}}: names as Kubernetes allows them. */
    private KubernetesService kubernetesService(YamlNode node) throws ConfigException {
      YamlNode.Fields k = node.mapping(KUBERNETES);
      String service = dnsLabel(k.required("service"));
      String namespace = dnsLabel(k.required("namespace"));
      YamlNode portNode = k.required("port");
      String port = portNode.name();
      if (port.chars().allMatch(Character::isDigit)) {
        portNode.positiveInt();
      } else if (!port.matches("[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?")) {
        throw portNode.error("expected a port name (lower-case letters, digits, '-', at most 15) or number,"
            + " got '" + port + "'");
      }
      return new KubernetesService(namespace, service, port);
    }

    private static String dnsLabel(YamlNode node) throws ConfigException {
      String text = node.name();
      if (!text.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
        throw node.error("expected a Kubernetes name (RFC 1123 label), got '" + text + "'");
      }
      return text;
    }

    private Site site(YamlNode node) throws ConfigException {
      YamlNode.Fields f = node.mapping(SITE);
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
      Map<String, Route> byName = new HashMap<>();
      for (YamlNode item : f.list("routes")) {
        Route route = route(name, item);
        if (byName.putIfAbsent(route.name(), route) != null) {
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
      if (!clusters.containsKey(cluster)) {
        throw clusterNode.error("unknown cluster '" + cluster + "' (defined: " + clusters.keySet().stream().sorted().toList() + ")");
      }
      Route route = new Route(name, site + "/" + name, match(f.required("match")), cluster,
          durationOr(f.optional("timeout"), Duration.ofSeconds(15)), cache(f.optional("cache")));
      envoyAccepts(SnapshotTranslator.route(route), node, f);
      return route;
    }

    /**
     * Rejects what Envoy would NACK: {@code resource}, generated from the YAML at {@code node},
     * is checked with its protos' validation rules ({@link ProtoRules}). The error points at the
     * YAML field the violated proto field comes from (its lowerCamelCase name, innermost first),
     * else at {@code node}.
     */
    private static void envoyAccepts(Message resource, YamlNode node, YamlNode.Fields fields) throws ConfigException {
      List<String> violations = RULES.violations(resource);
      if (violations.isEmpty()) {
        return;
      }
      String first = violations.get(0);
      String[] path = first.substring(0, first.indexOf(':')).replaceAll("\\[[^]]*]", "").split("\\.");
      YamlNode at = fields.optional(lowerCamel(path[path.length - 1]));
      if (at == null) {
        at = fields.optional(lowerCamel(path[0]));
      }
      throw (at == null ? node : at).error("Envoy would reject the generated "
          + resource.getDescriptorForType().getName() + ": " + first);
    }

    private static String lowerCamel(String snake) {
      StringBuilder out = new StringBuilder(snake.length());
      for (int i = 0; i < snake.length(); i++) {
        char c = snake.charAt(i);
        if (c == '_' && i + 1 < snake.length()) {
          out.append(Character.toUpperCase(snake.charAt(++i)));
        } else {
          out.append(c);
        }
      }
      return out.toString();
    }

    private RouteMatch match(YamlNode node) throws ConfigException {
      YamlNode.Fields f = node.mapping(MATCH);
      Optional<String> prefix = optionalPath(f.optional("prefix"));
      Optional<String> path = optionalPath(f.optional("path"));
      Optional<String> regex = f.optional("regex") == null ? Optional.empty() : Optional.of(regex(f.optional("regex")));
      int kinds = (prefix.isPresent() ? 1 : 0) + (path.isPresent() ? 1 : 0) + (regex.isPresent() ? 1 : 0);
      if (kinds != 1) {
        throw node.error("exactly one of prefix, path and regex is required");
      }
      List<HeaderMatch> headers = new ArrayList<>();
      for (YamlNode item : f.list("headers")) {
        headers.add(header(item));
      }
      return new RouteMatch(prefix, path, regex, headers);
    }

    private HeaderMatch header(YamlNode node) throws ConfigException {
      YamlNode.Fields f = node.mapping(HEADER);
      String name = f.required("name").name().toLowerCase(Locale.ROOT);
      List<HeaderMatch> kinds = new ArrayList<>();
      if (f.optional("exact") != null) {
        kinds.add(new HeaderMatch(name, HeaderMatchKind.EXACT, f.optional("exact").string()));
      }
      if (f.optional("prefix") != null) {
        kinds.add(new HeaderMatch(name, HeaderMatchKind.PREFIX, f.optional("prefix").name()));
      }
      if (f.optional("regex") != null) {
        kinds.add(new HeaderMatch(name, HeaderMatchKind.REGEX, regex(f.optional("regex"))));
      }
      if (f.optional("present") != null) {
        if (!f.optional("present").bool()) {
          throw f.optional("present").error("only 'present: true' is supported");
        }
        kinds.add(new HeaderMatch(name, HeaderMatchKind.PRESENT, ""));
      }
      if (kinds.size() != 1) {
        throw node.error("exactly one of exact, prefix, regex and present is required");
      }
      return kinds.get(0);
    }

    /** Envoy matches with RE2, so the regex is checked by RE2's rules (no backreferences, lookaround). */
    private static String regex(YamlNode node) throws ConfigException {
      String pattern = node.name();
      try {
        com.google.re2j.Pattern.compile(pattern);
      } catch (PatternSyntaxException e) {
        throw node.error("invalid RE2 regex '" + pattern + "': " + e.getDescription());
      }
      return pattern;
    }

    private static Optional<String> optionalPath(YamlNode node) throws ConfigException {
      if (node == null) {
        return Optional.empty();
      }
      String path = node.name();
      if (!path.startsWith("/")) {
        throw node.error("must start with /");
      }
      return Optional.of(path);
    }

    private static CachePolicy cache(YamlNode node) throws ConfigException {
      if (node == null) {
        return CachePolicy.DEFAULT;
      }
      YamlNode.Fields f = node.mapping(CACHE);
      CacheMode mode = CacheMode.RESPECT_ORIGIN;
      YamlNode modeNode = f.optional("mode");
      if (modeNode != null) {
        String text = modeNode.string();
        mode = Stream.of(CacheMode.values()).filter(m -> m.text().equals(text)).findFirst()
            .orElseThrow(() -> modeNode.error("expected one of respect-origin, cache-everything, bypass, got '" + text + "'"));
      }
      Optional<Duration> defaultTtl = f.optional("defaultTtl") == null ? Optional.empty()
          : Optional.of(f.optional("defaultTtl").positiveDuration());
      Optional<Duration> maxTtl = f.optional("maxTtl") == null ? Optional.empty()
          : Optional.of(f.optional("maxTtl").positiveDuration());
      if (defaultTtl.isPresent() && maxTtl.isPresent() && defaultTtl.get().compareTo(maxTtl.get()) > 0) {
        throw f.required("defaultTtl").error("must not exceed maxTtl");
      }
      List<String> stripHeaders = f.optional("stripHeaders") == null ? CachePolicy.DEFAULT.stripHeaders()
          : fieldNames(f.list("stripHeaders"));
      boolean shareSetCookie = flag(f, "shareResponsesWithSetCookie");
      boolean storeSetCookie = flag(f, "storeSetCookie");
      if (storeSetCookie && !shareSetCookie) {
        // Without sharing, a response with Set-Cookie is never stored: the flag would do nothing.
        throw f.required("storeSetCookie").error("needs shareResponsesWithSetCookie: true");
      }
      return new CachePolicy(mode, defaultTtl, maxTtl, shareSetCookie,
          flag(f, "cacheEverythingWithCredentials"), flag(f, "storeResponsesToCookieRequests"), stripHeaders,
          flag(f, "forwardExcludedQuery"), storeSetCookie);
    }

    /** An optional true/false field; absent is false, the safe default of every cache flag. */
    private static boolean flag(YamlNode.Fields f, String name) throws ConfigException {
      YamlNode value = f.optional(name);
      return value != null && value.bool();
    }

    /** Header field names, lower-cased. */
    private static List<String> fieldNames(List<YamlNode> items) throws ConfigException {
      List<String> names = new ArrayList<>();
      for (YamlNode item : items) {
        names.add(item.headerName());
      }
      return names;
    }

    private ListenerSpec listener(YamlNode node) throws ConfigException {
      YamlNode.Fields f = node.mapping(LISTENER);
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
      EscapedSlashes escapedSlashes = f.optional("escapedSlashes") == null ? EscapedSlashes.REJECT
          : enumValue(f.optional("escapedSlashes"), EscapedSlashes.class);
      return new ListenerSpec(name, address, names, escapedSlashes);
    }

    private NodeGroupSpec nodeGroup(YamlNode node) throws ConfigException {
      YamlNode.Fields f = node.mapping(NODE_GROUP);
      String name = f.required("name").name();
      List<String> names = new ArrayList<>();
      for (YamlNode item : f.list("listeners")) {
        if (!listeners.containsKey(item.name())) {
          throw item.error("unknown listener '" + item.name() + "'");
        }
        names.add(item.name());
      }
      if (names.isEmpty()) {
        throw f.required("listeners").error("at least one listener is required");
      }
      return new NodeGroupSpec(name, names);
    }

    private static <E extends Enum<E>> E enumValue(YamlNode node, Class<E> type) throws ConfigException {
      String text = node.string();
      for (E value : type.getEnumConstants()) {
        if (value.name().replace('_', '-').equalsIgnoreCase(text)) {
          return value;
        }
      }
      throw node.error("expected one of " + Stream.of(type.getEnumConstants())
          .map(v -> v.name().replace('_', '-').toLowerCase(Locale.ROOT)).toList() + ", got '" + text + "'");
    }

    private static Duration durationOr(YamlNode node, Duration fallback) throws ConfigException {
      return node == null ? fallback : node.positiveDuration();
    }
  }
}
