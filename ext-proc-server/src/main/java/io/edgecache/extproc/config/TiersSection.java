package io.edgecache.extproc.config;

import io.edgecache.config.ConfigException;
import io.edgecache.config.YamlNode;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * Reads the YAML {@code tiers} section into {@link TiersConfig}. Omitted fields take
 * {@link TiersConfig#defaults()}; errors name the file, line and field.
 */
final class TiersSection {
  private static final Set<String> TIERS = Set.of("largeObjectBytes", "writeQueueCapacity",
      "writeQueueBytes", "lookupWait", "bodyListen", "bodyTokenSecretFile", "breaker", "disk",
      "redis", "s3");
  private static final Set<String> BREAKER = Set.of("failures", "coolDown");
  private static final Set<String> DISK = Set.of("enabled", "path", "maxBytes", "timeout");
  private static final Set<String> REDIS = Set.of("enabled", "uri", "cluster", "timeout");
  private static final Set<String> S3 = Set.of("enabled", "bucket", "prefix", "endpoint", "region",
      "pathStyle", "credentials", "multipartBytes", "timeout");
  private static final Set<String> CREDENTIALS =
      Set.of("source", "accessKeyIdFile", "secretAccessKeyFile");

  private TiersSection() {}

  static TiersConfig read(YamlNode node) throws ConfigException {
    TiersConfig defaults = TiersConfig.defaults();
    if (node == null) {
      return defaults;
    }
    YamlNode.Fields raw = node.mapping(TIERS);
    long large = OptionalFields.positiveBytes(raw, "largeObjectBytes", defaults.largeObjectBytes());
    int queue = OptionalFields.positiveInt(raw, "writeQueueCapacity", defaults.writeQueueCapacity());
    long queueBytes = OptionalFields.positiveBytes(raw, "writeQueueBytes", defaults.writeQueueBytes());
    YamlNode.Fields breaker = OptionalFields.section(raw, "breaker", BREAKER);
    int failures = OptionalFields.positiveInt(breaker, "failures", defaults.breakerFailures());
    var coolDown = OptionalFields.positiveDuration(breaker, "coolDown", defaults.breakerCoolDown());
    TiersConfig.Disk disk = disk(OptionalFields.section(raw, "disk", DISK), defaults.disk());
    InetSocketAddress bodyListen = OptionalFields.address(raw.optional("bodyListen"), null);
    if (bodyListen != null && !disk.enabled()) {
      throw raw.error("bodyListen",
          "streams bodies from disk, so needs tiers.disk.enabled: true");
    }
    Path secretFile = null;
    if (raw.optional("bodyTokenSecretFile") != null) {
      if (bodyListen == null) {
        throw raw.error("bodyTokenSecretFile",
            "signs reroutes to the body endpoint, so needs tiers.bodyListen");
      }
      secretFile = Path.of(raw.optional("bodyTokenSecretFile").string());
    }
    var lookupWait = OptionalFields.positiveDuration(raw, "lookupWait", defaults.lookupWait());
    return new TiersConfig(large, queue, queueBytes, failures, coolDown, lookupWait, bodyListen,
        secretFile, disk, redis(OptionalFields.section(raw, "redis", REDIS), defaults.redis()),
        s3(OptionalFields.section(raw, "s3", S3), defaults.s3()));
  }

  private static TiersConfig.Disk disk(YamlNode.Fields raw, TiersConfig.Disk defaults)
      throws ConfigException {
    if (raw == null) {
      return defaults;
    }
    String path = OptionalFields.string(raw, "path", null);
    return new TiersConfig.Disk(OptionalFields.flag(raw, "enabled"),
        path == null ? defaults.path() : Path.of(path),
        OptionalFields.positiveBytes(raw, "maxBytes", defaults.maxBytes()),
        OptionalFields.positiveDuration(raw, "timeout", defaults.timeout()));
  }

  private static TiersConfig.Redis redis(YamlNode.Fields raw, TiersConfig.Redis defaults)
      throws ConfigException {
    if (raw == null) {
      return defaults;
    }
    String uri = OptionalFields.string(raw, "uri", defaults.uri()).trim();
    if (!uri.startsWith("redis://") && !uri.startsWith("rediss://")) {
      throw raw.error("uri", "'" + uri + "' is not a redis:// or rediss:// URI");
    }
    return new TiersConfig.Redis(OptionalFields.flag(raw, "enabled"), uri,
        OptionalFields.flag(raw, "cluster"),
        OptionalFields.positiveDuration(raw, "timeout", defaults.timeout()));
  }

  private static TiersConfig.S3 s3(YamlNode.Fields raw, TiersConfig.S3 defaults)
      throws ConfigException {
    if (raw == null) {
      return defaults;
    }
    boolean enabled = OptionalFields.flag(raw, "enabled");
    String bucket = OptionalFields.string(raw, "bucket", null);
    if (enabled && (bucket == null || bucket.isBlank())) {
      throw raw.error("bucket", "required when tiers.s3.enabled is true");
    }
    URI endpoint = null;
    YamlNode endpointNode = raw.optional("endpoint");
    if (endpointNode != null) {
      try {
        endpoint = new URI(endpointNode.string().trim());
      } catch (URISyntaxException e) {
        throw endpointNode.error("'" + endpointNode.string() + "' is not a URI");
      }
      if (!"http".equals(endpoint.getScheme()) && !"https".equals(endpoint.getScheme())) {
        throw endpointNode.error(
            "'" + endpointNode.string() + "' must start with http:// or https://");
      }
    }
    long multipart = OptionalFields.bytes(raw, "multipartBytes", defaults.multipartBytes());
    if (multipart < (5L << 20)) {
      throw raw.error("multipartBytes", "must be at least 5MiB (the smallest S3 part)");
    }
    return new TiersConfig.S3(enabled, bucket,
        OptionalFields.string(raw, "prefix", defaults.prefix()),
        endpoint,
        OptionalFields.string(raw, "region", defaults.region()),
        OptionalFields.flag(raw, "pathStyle"),
        credentials(OptionalFields.section(raw, "credentials", CREDENTIALS)),
        multipart,
        OptionalFields.positiveDuration(raw, "timeout", defaults.timeout()));
  }

  private static TiersConfig.Credentials credentials(YamlNode.Fields raw)
      throws ConfigException {
    YamlNode source = raw == null ? null : raw.optional("source");
    if (source == null) {
      return TiersConfig.Credentials.ENVIRONMENT;
    }
    switch (source.string().trim().toLowerCase(Locale.ROOT)) {
      case "environment":
        return TiersConfig.Credentials.ENVIRONMENT;
      case "files":
        String id = OptionalFields.string(raw, "accessKeyIdFile", null);
        String secret = OptionalFields.string(raw, "secretAccessKeyFile", null);
        if (id == null || secret == null) {
          throw raw.node().error("source 'files' needs accessKeyIdFile and secretAccessKeyFile");
        }
        return new TiersConfig.Credentials(TiersConfig.Credentials.Source.FILES,
            Path.of(id), Path.of(secret));
      default:
        throw source.error("'" + source.string() + "' is not 'environment' or 'files'");
    }
  }
}
