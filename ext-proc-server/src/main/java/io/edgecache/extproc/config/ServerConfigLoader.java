package io.edgecache.extproc.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
        raw.listen == null
            ? defaults.listen()
            : ConfigValues.hostAndPort("listen", raw.listen);
    RawCache cache = raw.cache == null ? new RawCache() : raw.cache;
    long l1 = cache.l1MaxBytes == null
        ? defaults.l1MaxBytes()
        : ConfigValues.bytes("cache.l1MaxBytes", cache.l1MaxBytes);
    if (l1 <= 0) {
      throw new ConfigException("cache.l1MaxBytes: must be greater than 0");
    }
    long maxObject = cache.maxObjectBytes == null
        ? defaults.maxObjectBytes()
        : ConfigValues.bytes("cache.maxObjectBytes", cache.maxObjectBytes);
    if (maxObject <= 0 || maxObject > l1) {
      throw new ConfigException(
          "cache.maxObjectBytes: must be greater than 0 and at most cache.l1MaxBytes (" + l1
              + ")");
    }
    double fraction = cache.heuristicFraction == null
        ? defaults.heuristicFraction()
        : cache.heuristicFraction;
    if (fraction < 0 || fraction > 1) {
      throw new ConfigException("cache.heuristicFraction: must be between 0 and 1");
    }
    Duration heuristicMax = cache.heuristicMaxAge == null
        ? defaults.heuristicMaxAge()
        : ConfigValues.duration("cache.heuristicMaxAge", cache.heuristicMaxAge);
    Duration drain = raw.drainTimeout == null
        ? defaults.drainTimeout()
        : ConfigValues.duration("drainTimeout", raw.drainTimeout);
    List<RoutePolicy> routes = new ArrayList<>();
    List<RawRoute> rawRoutes = raw.routes == null ? List.of() : raw.routes;
    for (int i = 0; i < rawRoutes.size(); i++) {
      routes.add(validate("routes[" + i + "]", rawRoutes.get(i)));
    }
    return new ServerConfig(listen, l1, maxObject, fraction, heuristicMax, drain,
        List.copyOf(routes), TiersSection.validate(raw.tiers));
  }

  private static RoutePolicy validate(String field, RawRoute raw) throws ConfigException {
    if (raw == null) {
      throw new ConfigException(field + ": empty route");
    }
    String host = raw.host == null ? "*" : raw.host.trim();
    if (host.isEmpty() || host.contains("/") || host.contains(" ")) {
      throw new ConfigException(field + ".host: '" + raw.host + "' is not '*' or a host name");
    }
    String prefix = raw.pathPrefix == null ? "/" : raw.pathPrefix;
    if (!prefix.startsWith("/")) {
      throw new ConfigException(field + ".pathPrefix: '" + prefix + "' must start with '/'");
    }
    return new RoutePolicy(host, prefix, Boolean.TRUE.equals(raw.shareResponsesWithSetCookie));
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
    public String drainTimeout;
    public List<RawRoute> routes;
    public TiersSection tiers;
  }

  static final class RawCache {
    public String l1MaxBytes;
    public String maxObjectBytes;
    public Double heuristicFraction;
    public String heuristicMaxAge;
  }

  static final class RawRoute {
    public String host;
    public String pathPrefix;
    public Boolean shareResponsesWithSetCookie;
  }
}
