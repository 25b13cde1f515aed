package io.edgecache.controlplane.purge;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.edgecache.controlplane.config.PurgeSettings;
import io.edgecache.proto.purge.v1.PurgeStatus;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.XTrimArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The purge log in a Redis stream, which every control-plane replica reaches: the leader appends
 * with {@code XADD} under the explicit id {@code <seq>-0}, so a replica that still believes it
 * leads cannot append a sequence number another has used (Redis refuses an id not above the
 * stream's top); a replica that becomes the leader reads the stream again.
 *
 * <p>Redis must run with {@code appendonly yes} and {@code appendfsync always}: only then is an
 * entry on disk when {@code XADD} answers, so an acknowledged purge survives a Redis restart.
 * The log checks both at open and refuses to start otherwise. Entries older than the retention
 * are trimmed ({@code XTRIM MINID}) except the newest, as in the file log.
 */
final class RedisStreamPurgeLog extends RetainedPurgeLog {

  private static final String FIELD = "purge";

  private final RedisClient client;
  private final StatefulRedisConnection<String, String> connection;
  private final RedisCommands<String, String> redis;
  private final String key;

  private RedisStreamPurgeLog(RedisClient client, StatefulRedisConnection<String, String> connection,
      String key, Duration retention, Clock clock) {
    super(retention, clock);
    this.client = client;
    this.connection = connection;
    this.redis = connection.sync();
    this.key = key;
  }

  /**
   * Connects (every command bounded by the settings' timeout), checks Redis's durability
   * settings and reads the stream at the settings' key.
   */
  static RedisStreamPurgeLog open(PurgeSettings.RedisLog settings, Duration retention, Clock clock)
      throws IOException {
    String uri = settings.uri();
    String key = settings.key();
    Duration timeout = settings.timeout();
    RedisClient client = RedisClient.create(RedisURI.create(uri));
    client.setDefaultTimeout(timeout);
    StatefulRedisConnection<String, String> connection;
    try {
      connection = client.connect();
    } catch (RedisException e) {
      client.shutdown();
      throw new IOException("purge.redis: cannot connect to " + uri + ": " + e.getMessage(), e);
    }
    RedisStreamPurgeLog log = new RedisStreamPurgeLog(client, connection, key, retention, clock);
    try {
      log.checkDurability(uri);
      log.reload();
    } catch (IOException | RuntimeException e) {
      log.close();
      throw e;
    }
    return log;
  }

  private void checkDurability(String uri) throws IOException {
    Map<String, String> aof;
    Map<String, String> fsync;
    try {
      aof = redis.configGet("appendonly");
      fsync = redis.configGet("appendfsync");
    } catch (RedisException e) {
      throw new IOException("purge.redis: cannot read the durability settings of " + uri
          + " (CONFIG GET): " + e.getMessage(), e);
    }
    if (!"yes".equals(aof.get("appendonly")) || !"always".equals(fsync.get("appendfsync"))) {
      throw new IOException("purge.redis: " + uri + " runs with appendonly=" + aof.get("appendonly")
          + " appendfsync=" + fsync.get("appendfsync") + "; an acknowledged purge would not survive"
          + " a Redis restart: set appendonly yes and appendfsync always");
    }
  }

  @Override
  public void reload() throws IOException {
    List<PurgeStatus> read = new ArrayList<>();
    try {
      for (StreamMessage<String, String> message : redis.xrange(key, Range.unbounded())) {
        PurgeStatus.Builder entry = PurgeStatus.newBuilder();
        try {
          JsonFormat.parser().merge(message.getBody().getOrDefault(FIELD, ""), entry);
        } catch (InvalidProtocolBufferException e) {
          throw new IOException("purge.redis: stream " + key + " entry " + message.getId()
              + " is not a purge: " + e.getMessage(), e);
        }
        read.add(entry.build());
      }
    } catch (RedisException e) {
      throw new IOException("purge.redis: cannot read stream " + key + ": " + e.getMessage(), e);
    }
    entries.clear();
    entries.addAll(read);
  }

  @Override
  public void append(PurgeStatus entry) throws IOException {
    try {
      redis.xadd(key, new XAddArgs().id(entry.getSeq() + "-0"), Map.of(FIELD, PRINTER.print(entry)));
    } catch (RedisException e) {
      throw new IOException("purge.redis: purge " + entry.getSeq() + " not logged (another replica"
          + " may have logged it as leader): " + e.getMessage(), e);
    }
    entries.add(entry);
    trim();
  }

  /** Drops expired entries, keeping the newest so sequence numbers keep counting up. */
  private void trim() {
    if (dropExpired() == 0) {
      return;
    }
    try {
      redis.xtrim(key, XTrimArgs.Builder.minId(entries.get(0).getSeq() + "-0"));
    } catch (RedisException e) {
      // Only space: the entries stay and are dropped from memory; the next trim retries.
    }
  }

  @Override
  public void close() {
    connection.close();
    client.shutdown();
  }
}
