package io.edgecache.controlplane.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The control plane's purge coordination settings, from the {@code purge} section.
 *
 * @param adminListen where the REST admin API listens
 * @param logPath the append-only purge log (fsync'd; reloaded at start)
 * @param retention how far back the log reaches; a node that last applied an older purge drops
 *     its local tiers instead of replaying
 * @param edge the edge listener warming requests are sent through; empty disables warming
 * @param rateLimit per-token request rate on the admin API
 * @param tokens the bearer tokens the admin API accepts
 * @param redisLog the purge log in a Redis stream every replica reaches, instead of the file
 * @param leader how replicas agree on the one that coordinates purges; empty: this is the only one
 */
public record PurgeSettings(
    EdgecacheConfig.HostPort adminListen,
    Path logPath,
    Duration retention,
    Optional<URI> edge,
    RateLimit rateLimit,
    List<Token> tokens,
    Optional<RedisLog> redisLog,
    Optional<Leader> leader) {

  /** Loopback: the admin API is reached from the host (or the pod) unless configured otherwise. */
  public static final EdgecacheConfig.HostPort DEFAULT_ADMIN_LISTEN = new EdgecacheConfig.HostPort("127.0.0.1", 18001);
  /** Relative to the configuration file that has the {@code purge} section. */
  public static final String DEFAULT_LOG = ".edgecache/purge.log";
  public static final Duration DEFAULT_RETENTION = Duration.ofDays(1);

  public PurgeSettings {
    tokens = List.copyOf(tokens);
  }

  /** The purge log as a Redis stream: server, stream key, bound on every command. */
  public record RedisLog(String uri, String key, Duration timeout) {
    public static final String DEFAULT_KEY = "edgecache:purge-log";
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);
  }

  /**
   * How the purge leader is chosen.
   *
   * @param identity this replica's name in the election and in "the leader is ..." answers
   * @param configured the identity of the replica that leads, when the configuration says so
   * @param lease the Kubernetes Lease to elect through, otherwise
   */
  public record Leader(String identity, Optional<String> configured, Optional<Lease> lease) {}

  /** A Kubernetes Lease: a standby leads at most {@code duration} after the leader stopped. */
  public record Lease(String namespace, String name, Duration duration) {
    public static final String DEFAULT_NAME = "edgecache-purge-leader";
    public static final Duration DEFAULT_DURATION = Duration.ofSeconds(15);
  }

  /** A token bucket: {@code perSecond} refill, {@code burst} capacity. */
  public record RateLimit(double perSecond, int burst) {
    /** Without {@code purge.rateLimit}, and for each of its fields left out. */
    public static final RateLimit DEFAULT = new RateLimit(10, 20);
  }

  /**
   * An admin API credential.
   *
   * @param name who the token belongs to, as the audit log names the caller
   * @param secret the bearer token itself
   * @param hosts the hosts it may purge and warm; empty for every host (and whole-cache purges)
   */
  public record Token(String name, String secret, Set<String> hosts) {
    public Token {
      hosts = Set.copyOf(hosts);
    }

    public boolean unscoped() {
      return hosts.isEmpty();
    }

    @Override
    public String toString() {
      return "Token[" + name + ", hosts=" + hosts + "]"; // never the secret
    }
  }
}
