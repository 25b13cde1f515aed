package io.edgecache.controlplane.config;

import io.edgecache.config.ConfigException;
import io.edgecache.config.ConfigFiles;
import io.edgecache.config.YamlNode;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Reads the {@code purge} section of the control-plane configuration (in at most one of its
 * files). Relative paths ({@code log}, {@code tokens[].tokenFile}) resolve against the file that
 * names them. Errors name the file, the line and the field.
 */
public final class PurgeSettingsLoader {
  private static final Set<String> PURGE = Set.of("adminListen", "log", "retention", "edge", "rateLimit",
      "tokens", "redis", "leader");
  private static final Set<String> REDIS = Set.of("uri", "key", "timeout");
  private static final Set<String> LEADER = Set.of("identity", "replica", "lease");
  private static final Set<String> LEASE = Set.of("namespace", "name", "duration");
  private static final Set<String> RATE_LIMIT = Set.of("perSecond", "burst");
  private static final Set<String> TOKEN = Set.of("name", "token", "tokenFile", "hosts");
  private static final int MIN_SECRET_LENGTH = 16;

  private PurgeSettingsLoader() {}

  /** The purge settings of {@code source} (a file or directory), or empty when none has any. */
  public static Optional<PurgeSettings> load(Path source) throws ConfigException {
    YamlNode found = null;
    for (YamlNode.Fields top : ConfigFiles.topLevel(source, ConfigLoader.TOP_LEVEL)) {
      found = ConfigLoader.once(found, top.optional("purge"), "purge");
    }
    return found == null ? Optional.empty() : Optional.of(read(found));
  }

  private static PurgeSettings read(YamlNode node) throws ConfigException {
    YamlNode.Fields f = node.mapping(PURGE);
    Path base = Path.of(node.file()).toAbsolutePath().getParent();
    YamlNode rate = f.optional("rateLimit");
    PurgeSettings.RateLimit rateLimit = PurgeSettings.RateLimit.DEFAULT;
    if (rate != null) {
      YamlNode.Fields r = rate.mapping(RATE_LIMIT);
      rateLimit = new PurgeSettings.RateLimit(
          r.optional("perSecond") == null ? rateLimit.perSecond() : r.optional("perSecond").positiveInt(),
          r.optional("burst") == null ? rateLimit.burst() : r.optional("burst").positiveInt());
    }
    List<PurgeSettings.Token> tokens = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (YamlNode item : f.list("tokens")) {
      PurgeSettings.Token token = token(item, base);
      if (!names.add(token.name())) {
        throw item.error("duplicate token name '" + token.name() + "'");
      }
      tokens.add(token);
    }
    if (tokens.isEmpty()) {
      throw f.required("tokens").error("at least one token is required: the admin API accepts no anonymous call");
    }
    YamlNode edge = f.optional("edge");
    Optional<PurgeSettings.RedisLog> redis = f.optional("redis") == null ? Optional.empty()
        : Optional.of(redisLog(f.optional("redis")));
    Optional<PurgeSettings.Leader> leader = f.optional("leader") == null ? Optional.empty()
        : Optional.of(leader(f.optional("leader"), redis.isPresent()));
    return new PurgeSettings(
        f.optional("adminListen") == null ? PurgeSettings.DEFAULT_ADMIN_LISTEN
            : SectionValues.hostPort(f.optional("adminListen")),
        base.resolve(f.optional("log") == null ? PurgeSettings.DEFAULT_LOG : f.optional("log").name()),
        SectionValues.durationOr(f.optional("retention"), PurgeSettings.DEFAULT_RETENTION),
        edge == null ? Optional.empty() : Optional.of(httpUrl(edge)),
        rateLimit,
        tokens,
        redis,
        leader);
  }

  private static PurgeSettings.RedisLog redisLog(YamlNode node) throws ConfigException {
    YamlNode.Fields r = node.mapping(REDIS);
    YamlNode uri = r.required("uri");
    if (!uri.name().startsWith("redis://") && !uri.name().startsWith("rediss://")) {
      throw uri.error("expected redis://host:port or rediss://host:port, got '" + uri.name() + "'");
    }
    return new PurgeSettings.RedisLog(uri.name(),
        r.optional("key") == null ? PurgeSettings.RedisLog.DEFAULT_KEY : r.optional("key").name(),
        SectionValues.durationOr(r.optional("timeout"), PurgeSettings.RedisLog.DEFAULT_TIMEOUT));
  }

  private static PurgeSettings.Leader leader(YamlNode node, boolean sharedLog) throws ConfigException {
    YamlNode.Fields l = node.mapping(LEADER);
    YamlNode replica = l.optional("replica");
    YamlNode lease = l.optional("lease");
    if ((replica == null) == (lease == null)) {
      throw node.error("exactly one of replica (a configured leader) and lease (a Kubernetes Lease) is required");
    }
    if (!sharedLog) {
      throw node.error("a standby replica needs purge.redis: the file log is one replica's");
    }
    Optional<PurgeSettings.Lease> elected = Optional.empty();
    if (lease != null) {
      YamlNode.Fields e = lease.mapping(LEASE);
      elected = Optional.of(new PurgeSettings.Lease(e.required("namespace").name(),
          e.optional("name") == null ? PurgeSettings.Lease.DEFAULT_NAME : e.optional("name").name(),
          SectionValues.durationOr(e.optional("duration"), PurgeSettings.Lease.DEFAULT_DURATION)));
    }
    return new PurgeSettings.Leader(l.required("identity").name(),
        replica == null ? Optional.empty() : Optional.of(replica.name()), elected);
  }

  private static PurgeSettings.Token token(YamlNode item, Path base) throws ConfigException {
    YamlNode.Fields t = item.mapping(TOKEN);
    String name = t.required("name").name();
    YamlNode inline = t.optional("token");
    YamlNode file = t.optional("tokenFile");
    if ((inline == null) == (file == null)) {
      throw item.error("exactly one of token and tokenFile is required");
    }
    String secret;
    YamlNode where = inline != null ? inline : file;
    if (inline != null) {
      secret = inline.name();
    } else {
      Path path = base.resolve(file.name());
      try {
        secret = Files.readString(path, StandardCharsets.UTF_8).trim();
      } catch (IOException e) {
        throw file.error("cannot read " + path + ": " + e.getMessage());
      }
    }
    if (secret.length() < MIN_SECRET_LENGTH) {
      throw where.error("a token must be at least " + MIN_SECRET_LENGTH + " characters");
    }
    Set<String> hosts = new HashSet<>();
    for (YamlNode host : t.list("hosts")) {
      hosts.add(host.name().toLowerCase(Locale.ROOT));
    }
    return new PurgeSettings.Token(name, secret, hosts);
  }

  private static URI httpUrl(YamlNode node) throws ConfigException {
    try {
      URI uri = new URI(node.name());
      if (!"http".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 0) {
        throw node.error("expected http://host:port, got '" + node.name() + "'");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw node.error("not a URL: " + e.getReason());
    }
  }
}
