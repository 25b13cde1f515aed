package io.edgecache.extproc.config;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * The YAML {@code tiers} section as written, and its validation into {@link TiersConfig}.
 * Omitted fields take {@link TiersConfig#defaults()}; errors name the field.
 */
final class TiersSection {

  public String largeObjectBytes;
  public Integer writeQueueCapacity;
  public String writeQueueBytes;
  public String lookupWait;
  public String bodyListen;
  public String bodyTokenSecretFile;
  public RawBreaker breaker;
  public RawDisk disk;
  public RawRedis redis;
  public RawS3 s3;

  static final class RawBreaker {
    public Integer failures;
    public String coolDown;
  }

  static final class RawDisk {
    public Boolean enabled;
    public String path;
    public String maxBytes;
    public String timeout;
  }

  static final class RawRedis {
    public Boolean enabled;
    public String uri;
    public Boolean cluster;
    public String timeout;
  }

  static final class RawS3 {
    public Boolean enabled;
    public String bucket;
    public String prefix;
    public String endpoint;
    public String region;
    public Boolean pathStyle;
    public RawCredentials credentials;
    public String multipartBytes;
    public String timeout;
  }

  static final class RawCredentials {
    public String source;
    public String accessKeyIdFile;
    public String secretAccessKeyFile;
  }

  static TiersConfig validate(TiersSection raw) throws ConfigException {
    TiersConfig defaults = TiersConfig.defaults();
    if (raw == null) {
      return defaults;
    }
    long large = raw.largeObjectBytes == null ? defaults.largeObjectBytes()
        : positive("tiers.largeObjectBytes",
            ConfigValues.bytes("tiers.largeObjectBytes", raw.largeObjectBytes));
    int queue = raw.writeQueueCapacity == null ? defaults.writeQueueCapacity()
        : (int) positive("tiers.writeQueueCapacity", raw.writeQueueCapacity);
    long queueBytes = raw.writeQueueBytes == null ? defaults.writeQueueBytes()
        : positive("tiers.writeQueueBytes",
            ConfigValues.bytes("tiers.writeQueueBytes", raw.writeQueueBytes));
    RawBreaker breaker = raw.breaker == null ? new RawBreaker() : raw.breaker;
    int failures = breaker.failures == null ? defaults.breakerFailures()
        : (int) positive("tiers.breaker.failures", breaker.failures);
    Duration coolDown = duration("tiers.breaker.coolDown", breaker.coolDown,
        defaults.breakerCoolDown());
    TiersConfig.Disk disk = disk(raw.disk, defaults.disk());
    InetSocketAddress bodyListen = null;
    if (raw.bodyListen != null) {
      bodyListen = ConfigValues.hostAndPort("tiers.bodyListen", raw.bodyListen);
      if (!disk.enabled()) {
        throw new ConfigException(
            "tiers.bodyListen: streams bodies from disk, so needs tiers.disk.enabled: true");
      }
    }
    Path secretFile = null;
    if (raw.bodyTokenSecretFile != null) {
      if (bodyListen == null) {
        throw new ConfigException("tiers.bodyTokenSecretFile: signs reroutes to the body"
            + " endpoint, so needs tiers.bodyListen");
      }
      secretFile = Path.of(raw.bodyTokenSecretFile);
    }
    Duration lookupWait = duration("tiers.lookupWait", raw.lookupWait, defaults.lookupWait());
    return new TiersConfig(large, queue, queueBytes, failures, coolDown, lookupWait, bodyListen,
        secretFile, disk, redis(raw.redis, defaults.redis()), s3(raw.s3, defaults.s3()));
  }

  private static TiersConfig.Disk disk(RawDisk raw, TiersConfig.Disk defaults)
      throws ConfigException {
    if (raw == null) {
      return defaults;
    }
    long maxBytes = raw.maxBytes == null ? defaults.maxBytes()
        : positive("tiers.disk.maxBytes", ConfigValues.bytes("tiers.disk.maxBytes", raw.maxBytes));
    Path path = raw.path == null ? defaults.path() : Path.of(raw.path);
    return new TiersConfig.Disk(Boolean.TRUE.equals(raw.enabled), path, maxBytes,
        duration("tiers.disk.timeout", raw.timeout, defaults.timeout()));
  }

  private static TiersConfig.Redis redis(RawRedis raw, TiersConfig.Redis defaults)
      throws ConfigException {
    if (raw == null) {
      return defaults;
    }
    String uri = raw.uri == null ? defaults.uri() : raw.uri.trim();
    if (!uri.startsWith("redis://") && !uri.startsWith("rediss://")) {
      throw new ConfigException(
          "tiers.redis.uri: '" + uri + "' is not a redis:// or rediss:// URI");
    }
    return new TiersConfig.Redis(Boolean.TRUE.equals(raw.enabled), uri,
        Boolean.TRUE.equals(raw.cluster),
        duration("tiers.redis.timeout", raw.timeout, defaults.timeout()));
  }

  private static TiersConfig.S3 s3(RawS3 raw, TiersConfig.S3 defaults) throws ConfigException {
    if (raw == null) {
      return defaults;
    }
    boolean enabled = Boolean.TRUE.equals(raw.enabled);
    if (enabled && (raw.bucket == null || raw.bucket.isBlank())) {
      throw new ConfigException("tiers.s3.bucket: required when tiers.s3.enabled is true");
    }
    URI endpoint = null;
    if (raw.endpoint != null) {
      try {
        endpoint = new URI(raw.endpoint.trim());
      } catch (URISyntaxException e) {
        throw new ConfigException("tiers.s3.endpoint: '" + raw.endpoint + "' is not a URI");
      }
      if (!"http".equals(endpoint.getScheme()) && !"https".equals(endpoint.getScheme())) {
        throw new ConfigException(
            "tiers.s3.endpoint: '" + raw.endpoint + "' must start with http:// or https://");
      }
    }
    long multipart = ConfigValues.bytes("tiers.s3.multipartBytes", raw.multipartBytes,
        defaults.multipartBytes());
    if (multipart < (5L << 20)) {
      throw new ConfigException(
          "tiers.s3.multipartBytes: must be at least 5MiB (the smallest S3 part)");
    }
    return new TiersConfig.S3(enabled, raw.bucket,
        raw.prefix == null ? defaults.prefix() : raw.prefix,
        endpoint,
        raw.region == null ? defaults.region() : raw.region,
        Boolean.TRUE.equals(raw.pathStyle),
        credentials(raw.credentials),
        multipart,
        duration("tiers.s3.timeout", raw.timeout, defaults.timeout()));
  }

  private static TiersConfig.Credentials credentials(RawCredentials raw)
      throws ConfigException {
    if (raw == null || raw.source == null) {
      return TiersConfig.Credentials.ENVIRONMENT;
    }
    String field = "tiers.s3.credentials";
    switch (raw.source.trim().toLowerCase(Locale.ROOT)) {
      case "environment":
        return TiersConfig.Credentials.ENVIRONMENT;
      case "files":
        if (raw.accessKeyIdFile == null || raw.secretAccessKeyFile == null) {
          throw new ConfigException(field + ": source 'files' needs accessKeyIdFile and "
              + "secretAccessKeyFile");
        }
        return new TiersConfig.Credentials(TiersConfig.Credentials.Source.FILES,
            Path.of(raw.accessKeyIdFile), Path.of(raw.secretAccessKeyFile));
      default:
        throw new ConfigException(field + ".source: '" + raw.source
            + "' is not 'environment' or 'files'");
    }
  }

  private static long positive(String field, long value) throws ConfigException {
    if (value <= 0) {
      throw new ConfigException(field + ": must be greater than 0");
    }
    return value;
  }

  private static Duration duration(String field, String text, Duration fallback)
      throws ConfigException {
    Duration value = ConfigValues.duration(field, text, fallback);
    if (text != null && value.isZero()) { // a default is not checked
      throw new ConfigException(field + ": must be greater than 0");
    }
    return value;
  }
}
