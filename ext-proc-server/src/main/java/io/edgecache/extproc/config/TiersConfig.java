package io.edgecache.extproc.config;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The store tiers below L1 (YAML {@code tiers}). Every lower tier is off by default, so a node
 * with no configuration needs nothing but memory.
 *
 * @param largeObjectBytes bodies larger than this go to disk and S3; smaller ones to memory,
 *     disk and Redis. With the body endpoint on, hits of larger bodies are rerouted to it; the
 *     default, 128 KiB, is where that costs the node less than carrying the body in
 *     {@code immediate_response} (bench/run-all.sh's crossover sweep)
 * @param writeQueueCapacity pending writes per tier; writes beyond it are shed
 * @param writeQueueBytes bytes of entries per tier queued or being written; writes beyond it
 *     are shed, so a slow tier holds at most this much memory
 * @param breakerFailures consecutive failures that open a tier's circuit breaker
 * @param breakerCoolDown how long an open breaker waits before letting a probe through
 * @param lookupWait how long a request that missed memory waits for the tiers below; keep it
 *     well inside the filter's message_timeout, so a slow tier costs a hit, never the request
 * @param bodyListen where the HTTP endpoint that streams large bodies from disk listens; null
 *     when it is off
 * @param bodyTokenSecretFile a secret shared by the nodes of a pool, so any node's body
 *     endpoint accepts any node's reroutes; null for a secret of this process alone
 */
public record TiersConfig(
    long largeObjectBytes,
    int writeQueueCapacity,
    long writeQueueBytes,
    int breakerFailures,
    Duration breakerCoolDown,
    Duration lookupWait,
    InetSocketAddress bodyListen,
    Path bodyTokenSecretFile,
    Disk disk,
    Redis redis,
    S3 s3) {

  /** L2: entry files under {@code path}, at most {@code maxBytes} of them. */
  public record Disk(boolean enabled, Path path, long maxBytes, Duration timeout) {}

  /** L3: one Redis server, or a Redis Cluster reached through the seed {@code uri}. */
  public record Redis(boolean enabled, String uri, boolean cluster, Duration timeout) {}

  /**
   * L4: objects {@code prefix + key hash} in {@code bucket}. {@code endpoint} is null for AWS
   * itself; {@code pathStyle} addresses S3-compatible servers that have no bucket subdomains.
   * Bodies above {@code multipartBytes} are uploaded in parts of that size.
   */
  public record S3(
      boolean enabled,
      String bucket,
      String prefix,
      URI endpoint,
      String region,
      boolean pathStyle,
      Credentials credentials,
      long multipartBytes,
      Duration timeout) {}

  /**
   * Where the S3 keys come from: the standard {@code AWS_ACCESS_KEY_ID} /
   * {@code AWS_SECRET_ACCESS_KEY} environment variables, or two files (mounted secrets).
   */
  public record Credentials(Source source, Path accessKeyIdFile, Path secretAccessKeyFile) {
    public enum Source { ENVIRONMENT, FILES }

    public static final Credentials ENVIRONMENT = new Credentials(Source.ENVIRONMENT, null, null);
  }

  public static TiersConfig defaults() {
    return new TiersConfig(
        128L << 10, // the measured crossover: bench's BodyRouteCrossover
        1024,
        64L << 20,
        5,
        Duration.ofSeconds(5),
        Duration.ofMillis(100),
        null,
        null,
        new Disk(false, Path.of("/var/cache/edgecache"), 10L << 30, Duration.ofMillis(200)),
        new Redis(false, "redis://127.0.0.1:6379", false, Duration.ofMillis(50)),
        new S3(false, null, "edgecache/", null, "us-east-1", false, Credentials.ENVIRONMENT,
            8L << 20, Duration.ofSeconds(2)));
  }

  /** These settings with {@code disk} as the disk tier. */
  public TiersConfig withDisk(Disk disk) {
    return new TiersConfig(largeObjectBytes, writeQueueCapacity, writeQueueBytes,
        breakerFailures, breakerCoolDown, lookupWait, bodyListen, bodyTokenSecretFile, disk,
        redis, s3);
  }

  /** These settings with {@code wait} as the lookup wait. */
  public TiersConfig withLookupWait(Duration wait) {
    return new TiersConfig(largeObjectBytes, writeQueueCapacity, writeQueueBytes,
        breakerFailures, breakerCoolDown, wait, bodyListen, bodyTokenSecretFile, disk, redis,
        s3);
  }

  public boolean anyLowerTier() {
    return disk.enabled() || redis.enabled() || s3.enabled();
  }
}
