package io.edgecache.extproc.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import io.edgecache.http.EscapedSlashes;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Loads and validates the server's YAML configuration. Every error names the file, and the
 * field (with line and column where the parser knows them); unknown fields are errors, so a
 * misspelling never silently falls back to a default.
 */
public final class ServerConfigLoader {

  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  private ServerConfigLoader() {}

  public static ServerConfig load(Path file) throws ConfigException {
    String name = file.toString();
    if (!Files.isRegularFile(file)) {
      throw new ConfigException(name + ": no such file");
    }
    RawConfig raw;
    try {
      raw = YAML.readValue(file.toFile(), RawConfig.class);
    } catch (UnrecognizedPropertyException e) {
      throw new ConfigException(
          name + where(e.getLocation()) + ": unknown field '" + path(e) + "' (known fields: "
              + e.getKnownPropertyIds().stream().map(Object::toString).sorted()
                  .collect(Collectors.joining(", ")) + ")");
    } catch (JsonMappingException e) {
      throw new ConfigException(
          name + where(e.getLocation()) + ": field '" + path(e) + "': " + e.getOriginalMessage());
    } catch (JsonProcessingException e) {
      throw new ConfigException(name + where(e.getLocation()) + ": " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new ConfigException(name + ": cannot read: " + e.getMessage());
    }
    if (raw == null) {
      return ServerConfig.defaults();
    }
    try {
      return validate(raw);
    } catch (ConfigException e) {
      throw new ConfigException(name + ": " + e.getMessage());
    }
  }

  private static ServerConfig validate(RawConfig raw) throws ConfigException {
    ServerConfig defaults = ServerConfig.defaults();
    InetSocketAddress listen =
        raw.listen == null ? defaults.listen() : ConfigValues.hostAndPort("listen", raw.listen);
    RawCache cache = raw.cache == null ? new RawCache() : raw.cache;
    long l1 = ConfigValues.bytes("cache.l1MaxBytes", cache.l1MaxBytes, defaults.l1MaxBytes());
    if (l1 <= 0) {
      throw new ConfigException("cache.l1MaxBytes: must be greater than 0");
    }
    double fraction = cache.heuristicFraction == null
        ? defaults.heuristicFraction()
        : cache.heuristicFraction;
    if (fraction < 0 || fraction > 1) {
      throw new ConfigException("cache.heuristicFraction: must be between 0 and 1");
    }
    RawCollapsing collapsing = raw.collapsing == null ? new RawCollapsing() : raw.collapsing;
    ServerConfig.Collapsing collapsingDefaults = defaults.collapsing();
    URI refreshUrl = null;
    if (raw.refreshUrl != null) {
      refreshUrl = httpUrl("refreshUrl", raw.refreshUrl);
    }
    String targetedField = raw.targetedField == null
        ? defaults.targetedField()
        : ConfigValues.headerFieldName("targetedField", raw.targetedField);
    TiersConfig tiers = TiersSection.validate(raw.tiers);
    long maxObject = ConfigValues.bytes("cache.maxObjectBytes", cache.maxObjectBytes,
        defaults.maxObjectBytes());
    if (tiers.bodyListen() == null && (maxObject <= 0 || maxObject > l1)) {
      throw new ConfigException(
          "cache.maxObjectBytes: must be greater than 0 and at most cache.l1MaxBytes (" + l1
              + "); larger bodies need tiers.bodyListen, which streams them from disk");
    }
    if (tiers.bodyListen() != null && (maxObject <= 0 || maxObject > tiers.disk().maxBytes())) {
      throw new ConfigException("cache.maxObjectBytes: must be greater than 0 and at most"
          + " tiers.disk.maxBytes (" + tiers.disk().maxBytes() + ")");
    }
    List<RoutePolicy> routes = new ArrayList<>();
    List<RawRoute> rawRoutes = raw.routes == null ? List.of() : raw.routes;
    for (int i = 0; i < rawRoutes.size(); i++) {
      routes.add(validate("routes[" + i + "]", rawRoutes.get(i)));
    }
    return new ServerConfig(
        listen,
        l1,
        maxObject,
        fraction,
        ConfigValues.duration("cache.heuristicMaxAge", cache.heuristicMaxAge,
            defaults.heuristicMaxAge()),
        ConfigValues.duration("cache.staleRetention", cache.staleRetention,
            defaults.staleRetention()),
        targetedField,
        Boolean.TRUE.equals(raw.stripTargetedFields),
        new ServerConfig.Collapsing(
            collapsing.enabled == null ? collapsingDefaults.enabled() : collapsing.enabled,
            ConfigValues.duration("collapsing.maxWait", collapsing.maxWait,
                collapsingDefaults.maxWait()),
            ConfigValues.duration("collapsing.passTtl", collapsing.passTtl,
                collapsingDefaults.passTtl()),
            cluster(collapsing, tiers)),
        refreshUrl,
        admin(raw.admin, defaults.adminListen()),
        ConfigValues.duration("drainTimeout", raw.drainTimeout, defaults.drainTimeout()),
        routes,
        tiers,
        PurgeSection.validate(raw.purge),
        escapedSlashes(raw.escapedSlashes),
        TlsSection.validate(raw.tls));
  }

  private static ServerConfig.ClusterCollapsing cluster(RawCollapsing collapsing,
      TiersConfig tiers) throws ConfigException {
    ServerConfig.ClusterCollapsing off = ServerConfig.ClusterCollapsing.OFF;
    RawCluster raw = collapsing.cluster;
    if (raw == null) {
      return off;
    }
    Duration leaseTtl =
        ConfigValues.duration("collapsing.cluster.leaseTtl", raw.leaseTtl, off.leaseTtl());
    if (leaseTtl.toMillis() < 100) {
      throw new ConfigException("collapsing.cluster.leaseTtl: must be at least 100ms");
    }
    boolean enabled = Boolean.TRUE.equals(raw.enabled);
    if (enabled && Boolean.FALSE.equals(collapsing.enabled)) {
      throw new ConfigException("collapsing.cluster.enabled: collapsing across nodes needs"
          + " collapsing.enabled: true");
    }
    if (enabled && !tiers.redis().enabled()) {
      throw new ConfigException("collapsing.cluster.enabled: nodes collapse through the Redis"
          + " tier, which is off (set tiers.redis.enabled: true and tiers.redis.uri)");
    }
    if (enabled && tiers.redis().cluster()) {
      throw new ConfigException("collapsing.cluster.enabled: not supported with a Redis Cluster"
          + " (tiers.redis.cluster: true) yet; use one Redis server");
    }
    return new ServerConfig.ClusterCollapsing(enabled, leaseTtl);
  }

  private static InetSocketAddress admin(RawAdmin raw, InetSocketAddress fallback)
      throws ConfigException {
    if (raw == null) {
      return fallback;
    }
    if (Boolean.FALSE.equals(raw.enabled)) {
      return null;
    }
    return raw.listen == null ? fallback : ConfigValues.hostAndPort("admin.listen", raw.listen);
  }

  private static RoutePolicy validate(String field, RawRoute raw) throws ConfigException {
    if (raw == null) {
      throw new ConfigException(field + ": empty route");
    }
    RoutePolicy.Builder route = RoutePolicy.builder();
    String host = raw.host == null ? "*" : raw.host.trim();
    if (host.isEmpty() || host.contains("/") || host.contains(" ")) {
      throw new ConfigException(field + ".host: '" + raw.host + "' is not '*' or a host name");
    }
    route.host(host);
    String prefix = raw.pathPrefix == null ? "/" : raw.pathPrefix;
    if (!prefix.startsWith("/")) {
      throw new ConfigException(field + ".pathPrefix: '" + prefix + "' must start with '/'");
    }
    route.pathPrefix(prefix);
    if (raw.mode != null) {
      route.mode(switch (raw.mode) {
        case "respect-origin" -> RoutePolicy.Mode.RESPECT_ORIGIN;
        case "cache-everything" -> RoutePolicy.Mode.CACHE_EVERYTHING;
        case "bypass" -> RoutePolicy.Mode.BYPASS;
        default -> throw new ConfigException(field + ".mode: '" + raw.mode
            + "' is not one of respect-origin, cache-everything, bypass");
      });
    }
    route.defaultTtl(ConfigValues.duration(field + ".defaultTtl", raw.defaultTtl, Duration.ZERO));
    route.maxTtl(ConfigValues.duration(field + ".maxTtl", raw.maxTtl, Duration.ZERO));
    route.staleWhileRevalidate(
        ConfigValues.duration(field + ".staleWhileRevalidate", raw.staleWhileRevalidate,
            Duration.ZERO));
    route.staleIfError(
        ConfigValues.duration(field + ".staleIfError", raw.staleIfError, Duration.ZERO));
    route.maxObjectBytes(ConfigValues.bytes(field + ".maxObjectBytes", raw.maxObjectBytes, 0));
    if (raw.query != null) {
      route.query(query(field + ".query", raw.query));
    }
    if (raw.cookies != null) {
      route.cookies(new CookiePolicy(Boolean.TRUE.equals(raw.cookies.bypassWhenPresent),
          Set.copyOf(orEmpty(raw.cookies.ignore))));
    }
    route.keyHeaders(fieldNames(field + ".keyHeaders", raw.keyHeaders));
    route.normalizeHeaders(fieldNames(field + ".normalizeHeaders", raw.normalizeHeaders));
    Map<Integer, Duration> negative = new TreeMap<>();
    if (raw.negativeTtl != null) {
      for (Map.Entry<String, String> entry : raw.negativeTtl.entrySet()) {
        String where = field + ".negativeTtl." + entry.getKey();
        int status;
        try {
          status = Integer.parseInt(entry.getKey());
        } catch (NumberFormatException e) {
          throw new ConfigException(where + ": '" + entry.getKey() + "' is not a status code");
        }
        if (status < 400 || status > 599) {
          throw new ConfigException(where + ": negative caching covers 4xx and 5xx statuses");
        }
        negative.put(status, ConfigValues.duration(where, entry.getValue()));
      }
    }
    route.negativeTtls(negative);
    route.shareResponsesWithSetCookie(Boolean.TRUE.equals(raw.shareResponsesWithSetCookie));
    route.purgeRequests(Boolean.TRUE.equals(raw.purgeRequests));
    route.cacheEverythingWithCredentials(Boolean.TRUE.equals(raw.cacheEverythingWithCredentials));
    route.storeResponsesToCookieRequests(Boolean.TRUE.equals(raw.storeResponsesToCookieRequests));
    if (raw.stripHeaders != null) {
      route.stripHeaders(fieldNames(field + ".stripHeaders", raw.stripHeaders));
    }
    route.forwardExcludedQuery(Boolean.TRUE.equals(raw.forwardExcludedQuery));
    if (Boolean.TRUE.equals(raw.storeSetCookie) && !Boolean.TRUE.equals(raw.shareResponsesWithSetCookie)) {
      // Without sharing, a response with Set-Cookie is never stored: the flag would do nothing.
      throw new ConfigException(field + ".storeSetCookie: needs shareResponsesWithSetCookie: true");
    }
    route.storeSetCookie(Boolean.TRUE.equals(raw.storeSetCookie));
    return route.build();
  }

  private static EscapedSlashes escapedSlashes(String raw) throws ConfigException {
    if (raw == null) {
      return EscapedSlashes.REJECT;
    }
    EscapedSlashes action = EscapedSlashes.fromConfig(raw);
    if (action == null) {
      throw new ConfigException(
          "escapedSlashes: '" + raw + "' is not one of reject, unescape, keep");
    }
    return action;
  }

  private static QueryKeyPolicy query(String field, RawQuery raw) throws ConfigException {
    QueryKeyPolicy.Mode mode = QueryKeyPolicy.Mode.KEEP;
    if (raw.mode != null) {
      mode = switch (raw.mode) {
        case "keep" -> QueryKeyPolicy.Mode.KEEP;
        case "ignore" -> QueryKeyPolicy.Mode.IGNORE;
        case "sort" -> QueryKeyPolicy.Mode.SORT;
        default -> throw new ConfigException(
            field + ".mode: '" + raw.mode + "' is not one of keep, ignore, sort");
      };
    }
    if (raw.allow != null && raw.deny != null) {
      throw new ConfigException(field + ": give allow or deny, not both");
    }
    return new QueryKeyPolicy(mode, Set.copyOf(orEmpty(raw.allow)),
        Set.copyOf(orEmpty(raw.deny)));
  }

  private static List<String> fieldNames(String field, List<String> names)
      throws ConfigException {
    List<String> lower = new ArrayList<>();
    for (String name : orEmpty(names)) {
      lower.add(ConfigValues.headerFieldName(field, name));
    }
    return lower;
  }

  private static URI httpUrl(String field, String text) throws ConfigException {
    try {
      URI uri = new URI(text.trim());
      if (!"http".equals(uri.getScheme()) || uri.getHost() == null) {
        throw new ConfigException(field + ": '" + text + "' must be an http:// URL");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new ConfigException(field + ": '" + text + "' is not a URL: " + e.getReason());
    }
  }

  private static <T> List<T> orEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }

  private static String where(JsonLocation location) {
    return location == null || location.getLineNr() < 0
        ? ""
        : ":" + location.getLineNr() + ":" + location.getColumnNr();
  }

  private static String path(JsonMappingException e) {
    StringBuilder path = new StringBuilder();
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        if (path.length() > 0) {
          path.append('.');
        }
        path.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        path.append('[').append(ref.getIndex()).append(']');
      }
    }
    return path.toString();
  }

  /** The YAML document as written; fields are public for Jackson. */
  static final class RawConfig {
    public String listen;
    public RawCache cache;
    public String targetedField;
    public Boolean stripTargetedFields;
    public RawCollapsing collapsing;
    public String refreshUrl;
    public RawAdmin admin;
    public String drainTimeout;
    public List<RawRoute> routes;
    public TiersSection tiers;
    public PurgeSection purge;
    public String escapedSlashes;
    public TlsSection tls;
  }

  static final class RawCache {
    public String l1MaxBytes;
    public String maxObjectBytes;
    public Double heuristicFraction;
    public String heuristicMaxAge;
    public String staleRetention;
  }

  static final class RawAdmin {
    public Boolean enabled;
    public String listen;
  }

  static final class RawCollapsing {
    public Boolean enabled;
    public String maxWait;
    public String passTtl;
    public RawCluster cluster;
  }

  static final class RawCluster {
    public Boolean enabled;
    public String leaseTtl;
  }

  static final class RawRoute {
    public String host;
    public String pathPrefix;
    public String mode;
    public String defaultTtl;
    public String maxTtl;
    public RawQuery query;
    public RawCookies cookies;
    public List<String> keyHeaders;
    public List<String> normalizeHeaders;
    public String staleWhileRevalidate;
    public String staleIfError;
    public String maxObjectBytes;
    public Map<String, String> negativeTtl;
    public Boolean shareResponsesWithSetCookie;
    public Boolean purgeRequests;
    public Boolean cacheEverythingWithCredentials;
    public Boolean storeResponsesToCookieRequests;
    public List<String> stripHeaders;
    public Boolean forwardExcludedQuery;
    public Boolean storeSetCookie;
  }

  static final class RawQuery {
    public String mode;
    public List<String> allow;
    public List<String> deny;
  }

  static final class RawCookies {
    public Boolean bypassWhenPresent;
    public List<String> ignore;
  }
}
