package io.edgecache.extproc.config;

import io.edgecache.config.ConfigException;
import io.edgecache.config.ConfigFiles;
import io.edgecache.config.YamlNode;
import io.edgecache.http.EscapedSlashes;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Loads and validates the server's YAML configuration. Every error, an unknown field, a wrong
 * type or a bad value alike, reads {@code file:line: field.path: problem}; unknown fields are
 * errors, so a misspelling never silently falls back to a default. Omitted fields take
 * {@link ServerConfig#defaults()}.
 */
public final class ServerConfigLoader {
  private static final Set<String> TOP_LEVEL = Set.of("listen", "cache", "targetedField",
      "stripTargetedFields", "collapsing", "refreshUrl", "admin", "drainTimeout", "routes", "tiers",
      "purge", "escapedSlashes", "tls");
  private static final Set<String> CACHE = Set.of("l1MaxBytes", "maxObjectBytes",
      "heuristicFraction", "heuristicMaxAge", "staleRetention");
  private static final Set<String> ADMIN = Set.of("enabled", "listen");
  /** The longest any configured wait may be: Envoy bounds ext_proc's message timeouts so. */
  private static final Duration LONGEST_WAIT = Duration.ofHours(1);
  private static final Set<String> COLLAPSING = Set.of("enabled", "maxWait", "passTtl", "cluster");
  private static final Set<String> CLUSTER = Set.of("enabled", "leaseTtl");
  private static final Set<String> ROUTE = Set.of("host", "pathPrefix", "mode", "defaultTtl",
      "maxTtl", "query", "cookies", "keyHeaders", "normalizeHeaders", "staleWhileRevalidate",
      "staleIfError", "maxObjectBytes", "negativeTtl", "shareResponsesWithSetCookie",
      "purgeRequests", "cacheEverythingWithCredentials", "storeResponsesToCookieRequests",
      "stripHeaders", "forwardExcludedQuery", "storeSetCookie");
  private static final Set<String> QUERY = Set.of("mode", "allow", "deny");
  private static final Set<String> COOKIES = Set.of("bypassWhenPresent", "ignore");

  private ServerConfigLoader() {}

  /**
   * Loads {@code source}: one YAML file, or every {@code *.yaml} file of a directory with each
   * top-level field in one of them (a Kubernetes component adds {@code tls.yaml} beside the
   * overlay's {@code edgecache.yaml} this way).
   */
  public static ServerConfig load(Path source) throws ConfigException {
    List<YamlNode.Fields> parts = ConfigFiles.topLevel(source, TOP_LEVEL);
    return parts.isEmpty() ? ServerConfig.defaults() : read(YamlNode.Fields.union(parts));
  }

  private static ServerConfig read(YamlNode.Fields raw) throws ConfigException {
    ServerConfig defaults = ServerConfig.defaults();
    InetSocketAddress listen = OptionalFields.address(raw.optional("listen"), defaults.listen());
    YamlNode.Fields cache = OptionalFields.section(raw, "cache", CACHE);
    long l1 = OptionalFields.bytes(cache, "l1MaxBytes", defaults.l1MaxBytes());
    if (l1 <= 0) {
      throw OptionalFields.error(raw, "cache", cache, "l1MaxBytes", "must be greater than 0");
    }
    double fraction = cache == null || cache.optional("heuristicFraction") == null
        ? defaults.heuristicFraction()
        : cache.optional("heuristicFraction").decimal();
    if (!(fraction >= 0 && fraction <= 1)) { // NaN too
      throw cache.error("heuristicFraction", "must be between 0 and 1");
    }
    YamlNode.Fields collapsing = OptionalFields.section(raw, "collapsing", COLLAPSING);
    ServerConfig.Collapsing collapsingDefaults = defaults.collapsing();
    URI refreshUrl = raw.optional("refreshUrl") == null ? null : httpUrl(raw.optional("refreshUrl"));
    String targetedField = raw.optional("targetedField") == null
        ? defaults.targetedField()
        : raw.optional("targetedField").headerName();
    TiersConfig tiers = TiersSection.read(raw.optional("tiers"));
    long maxObject = OptionalFields.bytes(cache, "maxObjectBytes", defaults.maxObjectBytes());
    if (tiers.bodyListen() == null && (maxObject <= 0 || maxObject > l1)) {
      throw OptionalFields.error(raw, "cache", cache, "maxObjectBytes",
          "must be greater than 0 and at most cache.l1MaxBytes (" + l1
              + "); larger bodies need tiers.bodyListen, which streams them from disk");
    }
    if (tiers.bodyListen() != null && (maxObject <= 0 || maxObject > tiers.disk().maxBytes())) {
      throw OptionalFields.error(raw, "cache", cache, "maxObjectBytes", "must be greater than 0 and at most"
          + " tiers.disk.maxBytes (" + tiers.disk().maxBytes() + ")");
    }
    List<RoutePolicy> routes = new ArrayList<>();
    // A route may lower the node's bound on recorded bodies, never raise it past what holds them.
    long recordable = tiers.bodyListen() == null ? l1 : tiers.disk().maxBytes();
    for (YamlNode route : raw.list("routes")) {
      RoutePolicy policy = route(route);
      if (policy.maxObjectBytes() > recordable) {
        throw route.mapping(ROUTE).error("maxObjectBytes", "must be at most "
            + (tiers.bodyListen() == null ? "cache.l1MaxBytes" : "tiers.disk.maxBytes") + " ("
            + recordable + ")");
      }
      routes.add(policy);
    }
    return new ServerConfig(
        listen,
        l1,
        maxObject,
        fraction,
        OptionalFields.duration(cache, "heuristicMaxAge", defaults.heuristicMaxAge()),
        OptionalFields.duration(cache, "staleRetention", defaults.staleRetention()),
        targetedField,
        OptionalFields.flag(raw, "stripTargetedFields"),
        new ServerConfig.Collapsing(
            collapsing == null || collapsing.optional("enabled") == null
                ? collapsingDefaults.enabled() : collapsing.optional("enabled").bool(),
            OptionalFields.durationAtMost(collapsing, "maxWait", collapsingDefaults.maxWait(),
                LONGEST_WAIT, "a follower waits within Envoy's max_message_timeout, itself"
                    + " at most 1h"),
            OptionalFields.duration(collapsing, "passTtl", collapsingDefaults.passTtl()),
            cluster(collapsing, tiers)),
        refreshUrl,
        admin(OptionalFields.section(raw, "admin", ADMIN), defaults.adminListen()),
        OptionalFields.durationAtMost(raw, "drainTimeout", defaults.drainTimeout(), LONGEST_WAIT,
            "a drain longer than that is a hang (and outlasts any termination grace period)"),
        routes,
        tiers,
        PurgeSection.read(raw.optional("purge")),
        escapedSlashes(raw.optional("escapedSlashes")),
        TlsSection.read(raw.optional("tls"), listen));
  }

  private static ServerConfig.ClusterCollapsing cluster(YamlNode.Fields collapsing,
      TiersConfig tiers) throws ConfigException {
    ServerConfig.ClusterCollapsing off = ServerConfig.ClusterCollapsing.OFF;
    YamlNode.Fields raw = OptionalFields.section(collapsing, "cluster", CLUSTER);
    if (raw == null) {
      return off;
    }
    Duration leaseTtl = OptionalFields.duration(raw, "leaseTtl", off.leaseTtl());
    if (leaseTtl.toMillis() < 100) {
      throw raw.error("leaseTtl", "must be at least 100ms");
    }
    boolean enabled = OptionalFields.flag(raw, "enabled");
    YamlNode collapsingEnabled = collapsing.optional("enabled");
    if (enabled && collapsingEnabled != null && !collapsingEnabled.bool()) {
      throw raw.error("enabled", "collapsing across nodes needs collapsing.enabled: true");
    }
    if (enabled && !tiers.redis().enabled()) {
      throw raw.error("enabled", "nodes collapse through the Redis tier, which is off"
          + " (set tiers.redis.enabled: true and tiers.redis.uri)");
    }
    if (enabled && tiers.redis().cluster()) {
      throw raw.error("enabled", "not supported with a Redis Cluster (tiers.redis.cluster: true)"
          + " yet; use one Redis server");
    }
    return new ServerConfig.ClusterCollapsing(enabled, leaseTtl);
  }

  private static InetSocketAddress admin(YamlNode.Fields raw, InetSocketAddress fallback)
      throws ConfigException {
    if (raw == null) {
      return fallback;
    }
    if (raw.optional("enabled") != null && !raw.optional("enabled").bool()) {
      return null;
    }
    return OptionalFields.address(raw.optional("listen"), fallback);
  }

  private static RoutePolicy route(YamlNode node) throws ConfigException {
    if (node.isNull()) {
      throw node.error("empty route");
    }
    YamlNode.Fields raw = node.mapping(ROUTE);
    RoutePolicy.Builder route = RoutePolicy.builder();
    YamlNode hostNode = raw.optional("host");
    String host = hostNode == null ? "*" : hostNode.string().trim();
    if (host.isEmpty() || host.contains("/") || host.contains(" ")) {
      throw hostNode.error("'" + hostNode.string() + "' is not '*' or a host name");
    }
    route.host(host);
    YamlNode prefixNode = raw.optional("pathPrefix");
    String prefix = prefixNode == null ? "/" : prefixNode.string();
    if (!prefix.startsWith("/")) {
      throw prefixNode.error("'" + prefix + "' must start with '/'");
    }
    route.pathPrefix(prefix);
    YamlNode mode = raw.optional("mode");
    if (mode != null) {
      route.mode(switch (mode.string()) {
        case "respect-origin" -> RoutePolicy.Mode.RESPECT_ORIGIN;
        case "cache-everything" -> RoutePolicy.Mode.CACHE_EVERYTHING;
        case "bypass" -> RoutePolicy.Mode.BYPASS;
        default -> throw mode.error("'" + mode.string()
            + "' is not one of respect-origin, cache-everything, bypass");
      });
    }
    route.defaultTtl(OptionalFields.duration(raw, "defaultTtl", Duration.ZERO));
    route.maxTtl(OptionalFields.duration(raw, "maxTtl", Duration.ZERO));
    route.staleWhileRevalidate(OptionalFields.duration(raw, "staleWhileRevalidate", Duration.ZERO));
    route.staleIfError(OptionalFields.duration(raw, "staleIfError", Duration.ZERO));
    route.maxObjectBytes(OptionalFields.bytes(raw, "maxObjectBytes", 0));
    if (raw.optional("query") != null) {
      route.query(query(raw.optional("query").mapping(QUERY)));
    }
    YamlNode.Fields cookies = OptionalFields.section(raw, "cookies", COOKIES);
    if (cookies != null) {
      route.cookies(new CookiePolicy(OptionalFields.flag(cookies, "bypassWhenPresent"),
          Set.copyOf(OptionalFields.strings(cookies, "ignore"))));
    }
    route.keyHeaders(OptionalFields.headerNames(raw, "keyHeaders"));
    route.normalizeHeaders(OptionalFields.headerNames(raw, "normalizeHeaders"));
    route.negativeTtls(negativeTtls(raw.optional("negativeTtl")));
    route.shareResponsesWithSetCookie(OptionalFields.flag(raw, "shareResponsesWithSetCookie"));
    route.purgeRequests(OptionalFields.flag(raw, "purgeRequests"));
    route.cacheEverythingWithCredentials(OptionalFields.flag(raw, "cacheEverythingWithCredentials"));
    route.storeResponsesToCookieRequests(OptionalFields.flag(raw, "storeResponsesToCookieRequests"));
    if (raw.optional("stripHeaders") != null) {
      route.stripHeaders(OptionalFields.headerNames(raw, "stripHeaders"));
    }
    route.forwardExcludedQuery(OptionalFields.flag(raw, "forwardExcludedQuery"));
    boolean storeSetCookie = OptionalFields.flag(raw, "storeSetCookie");
    if (storeSetCookie && !OptionalFields.flag(raw, "shareResponsesWithSetCookie")) {
      // Without sharing, a response with Set-Cookie is never stored: the flag would do nothing.
      throw raw.error("storeSetCookie", "needs shareResponsesWithSetCookie: true");
    }
    route.storeSetCookie(storeSetCookie);
    return route.build();
  }

  private static Map<Integer, Duration> negativeTtls(YamlNode node) throws ConfigException {
    Map<Integer, Duration> negative = new TreeMap<>();
    if (node == null) {
      return negative;
    }
    for (Map.Entry<String, YamlNode> entry : node.entries().entrySet()) {
      YamlNode ttl = entry.getValue();
      int status;
      try {
        status = Integer.parseInt(entry.getKey());
      } catch (NumberFormatException e) {
        throw ttl.error("'" + entry.getKey() + "' is not a status code");
      }
      if (status < 400 || status > 599) {
        throw ttl.error("negative caching covers 4xx and 5xx statuses");
      }
      negative.put(status, ttl.duration());
    }
    return negative;
  }

  private static EscapedSlashes escapedSlashes(YamlNode node) throws ConfigException {
    if (node == null) {
      return EscapedSlashes.REJECT;
    }
    EscapedSlashes action = EscapedSlashes.fromConfig(node.string());
    if (action == null) {
      throw node.error("'" + node.string() + "' is not one of reject, unescape, keep");
    }
    return action;
  }

  private static QueryKeyPolicy query(YamlNode.Fields raw) throws ConfigException {
    QueryKeyPolicy.Mode mode = QueryKeyPolicy.Mode.KEEP;
    YamlNode modeNode = raw.optional("mode");
    if (modeNode != null) {
      mode = switch (modeNode.string()) {
        case "keep" -> QueryKeyPolicy.Mode.KEEP;
        case "ignore" -> QueryKeyPolicy.Mode.IGNORE;
        case "sort" -> QueryKeyPolicy.Mode.SORT;
        default -> throw modeNode.error(
            "'" + modeNode.string() + "' is not one of keep, ignore, sort");
      };
    }
    if (raw.optional("allow") != null && raw.optional("deny") != null) {
      throw raw.node().error("give allow or deny, not both");
    }
    return new QueryKeyPolicy(mode, Set.copyOf(OptionalFields.strings(raw, "allow")),
        Set.copyOf(OptionalFields.strings(raw, "deny")));
  }

  private static URI httpUrl(YamlNode node) throws ConfigException {
    String text = node.string();
    try {
      URI uri = new URI(text.trim());
      if (!"http".equals(uri.getScheme()) || uri.getHost() == null) {
        throw node.error("'" + text + "' must be an http:// URL");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw node.error("'" + text + "' is not a URL: " + e.getReason());
    }
  }
}
