package io.edgecache.extproc.store.tier;

import io.edgecache.extproc.config.TiersConfig;
import io.edgecache.extproc.store.tier.RedisEndpoint.Connection;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * L3: entries as binary Redis strings under {@code edgecache:<key>}, expiring with the entry
 * (TTL = remaining freshness + stale windows), through Lettuce's async API on one standalone
 * server or a Redis Cluster.
 *
 * <p>Reads use their own connection; writes use a second one that does not flush each command,
 * so a batch of writes goes out pipelined on {@link #flush()} (on one server; in a cluster each
 * write is flushed as it is issued, see {@link RedisEndpoint#connectBatching}). When Redis is
 * unreachable, commands are rejected at once instead of queued, so callers see the outage immediately;
 * Lettuce reconnects in the background, and a connection that could not be made at startup is
 * retried by the next call.
 *
 * <p>In a cluster, entries and tag sets spread over all slots: every command here names a
 * single key (the tag index never touches a set and an entry in one command), so none needs
 * hash tags to share a slot, and no one tag or hot key range lands on one node by design.
 */
final class RedisTier implements Tier, SharedTags {

  private static final byte[] KEY_PREFIX = "edgecache:".getBytes(StandardCharsets.UTF_8);
  /** A set per surrogate key / cache tag, listing the entry keys carrying it. */
  private static final byte[] TAG_PREFIX = "edgecache-tag:".getBytes(StandardCharsets.UTF_8);
  /**
   * Adds ARGV[1] to the set KEYS[1] and keeps the set at least ARGV[2] ms from now: sets an
   * expiry when it has none (PTTL -1) or a shorter one, never shortens a longer one.
   */
  private static final String ADD_AND_KEEP = """
      redis.call('sadd', KEYS[1], ARGV[1])
      if redis.call('pttl', KEYS[1]) < tonumber(ARGV[2]) then
        redis.call('pexpire', KEYS[1], ARGV[2])
      end
      return 1
      """;
  /** What Redis names {@link #ADD_AND_KEEP} by once it has run on a server (its SHA-1, in hex). */
  private static final String ADD_AND_KEEP_SHA = sha1Hex(ADD_AND_KEEP);

  private final RedisEndpoint endpoint;
  private final Lazy reads;
  private final Lazy writes;

  private RedisTier(TiersConfig.Redis config) {
    this.endpoint = RedisEndpoint.of(config);
    this.reads = new Lazy(() -> endpoint.connect(ByteArrayCodec.INSTANCE));
    this.writes = new Lazy(() -> endpoint.connectBatching(ByteArrayCodec.INSTANCE));
  }

  /**
   * Starts connecting both connections in the background, so a node's first lookups and writes
   * do not spend their short per-call budget on the TCP and Redis handshakes; never fails because
   * Redis is down (calls fail until it is up, and a failed connection is tried again by the next call).
   */
  public static RedisTier connect(TiersConfig.Redis config) {
    RedisTier tier = new RedisTier(config);
    tier.reads.get();
    tier.writes.get();
    return tier;
  }

  @Override
  public String name() {
    return "redis";
  }

  @Override
  public CompletableFuture<Void> connected() {
    return CompletableFuture.allOf(reads.get(), writes.get());
  }

  @Override
  public boolean shared() {
    return true;
  }

  @Override
  public Optional<SharedTags> sharedTags() {
    return Optional.of(this);
  }

  @Override
  public CompletableFuture<Optional<Found>> get(String key, long wholeUpTo) {
    // Redis holds small entries only: they are always read whole.
    return reads.get()
        .thenCompose(c -> c.commands().get(redisKey(key)).toCompletableFuture())
        .thenApply(bytes -> Optional.ofNullable(bytes).map(Found::whole));
  }

  @Override
  public CompletableFuture<Void> put(String key, byte[] encoded, Duration timeToKeep) {
    long millis = timeToKeep.toMillis();
    if (millis <= 0) {
      return CompletableFuture.completedFuture(null); // would expire at once
    }
    CompletableFuture<Connection<byte[], byte[]>> connection = writes.get();
    // a write issued once a pending connection is made comes after the batch's flush
    boolean flushedByCaller = connection.isDone();
    return connection
        .thenCompose(c -> {
          CompletableFuture<String> set =
              c.commands().set(redisKey(key), encoded, SetArgs.Builder.px(millis))
                  .toCompletableFuture();
          if (!flushedByCaller) {
            c.connection().flushCommands();
          }
          return set;
        })
        .thenApply(ok -> null);
  }

  @Override
  public CompletableFuture<Void> remove(String key) {
    return reads.get()
        .thenCompose(c -> c.commands().del(redisKey(key)).toCompletableFuture())
        .thenApply(count -> null);
  }

  /**
   * Lists {@code key} in the set of each of its {@code tags}, so a tag purge finds the shared
   * entries every node wrote. A set expires with the longest-kept entry added to it: one
   * script per tag ({@link #ADD_AND_KEEP}) rather than PEXPIRE's NX and GT options, which
   * servers before Redis 7 (6.2 is still widely run) refuse. The script goes by its SHA-1
   * (EVALSHA); a server that does not know it yet (new, restarted, flushed, or another node of a
   * cluster) answers NOSCRIPT, and that one call sends the text (EVAL), which loads it.
   */
  @Override
  public CompletableFuture<Void> index(String key, Set<String> tags, Duration timeToKeep) {
    byte[] millis = Long.toString(timeToKeep.toMillis()).getBytes(StandardCharsets.US_ASCII);
    byte[] member = key.getBytes(StandardCharsets.UTF_8);
    return reads.get().thenCompose(c -> {
      List<CompletableFuture<?>> calls = new ArrayList<>();
      for (String tag : tags) {
        byte[][] set = {prefixed(TAG_PREFIX, tag)};
        calls.add(c.commands().evalsha(ADD_AND_KEEP_SHA, ScriptOutputType.INTEGER, set, member, millis)
            .toCompletableFuture()
            // this future itself failed, so the exception arrives unwrapped
            .exceptionallyCompose(failure -> failure instanceof RedisNoScriptException
                ? c.commands().eval(ADD_AND_KEEP, ScriptOutputType.INTEGER, set, member, millis)
                    .toCompletableFuture()
                : CompletableFuture.failedFuture(failure)));
      }
      return CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new));
    });
  }

  private static String sha1Hex(String script) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
          .digest(script.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime provides SHA-1", e);
    }
  }

  /** Removes from {@code tag}'s set, and returns, the listed keys {@code which} accepts. */
  @Override
  public CompletableFuture<List<String>> takeTagged(String tag, Predicate<String> which) {
    byte[] set = prefixed(TAG_PREFIX, tag);
    return reads.get().thenCompose(c -> c.commands().smembers(set).toCompletableFuture()
        .thenCompose(members -> {
          List<byte[]> taken = members.stream()
              .filter(m -> which.test(new String(m, StandardCharsets.UTF_8)))
              .toList();
          if (taken.isEmpty()) {
            return CompletableFuture.completedFuture(List.<String>of());
          }
          return c.commands().srem(set, taken.toArray(byte[][]::new)).toCompletableFuture()
              .thenApply(removed -> taken.stream()
                  .map(m -> new String(m, StandardCharsets.UTF_8)).toList());
        }));
  }

  @Override
  public void flush() {
    CompletableFuture<Connection<byte[], byte[]>> connection = writes.current.get();
    if (connection != null && connection.isDone() && !connection.isCompletedExceptionally()) {
      connection.join().connection().flushCommands();
    }
  }

  @Override
  public void close() {
    reads.close();
    writes.close();
    endpoint.close();
  }

  private static byte[] redisKey(String key) {
    return prefixed(KEY_PREFIX, key);
  }

  private static byte[] prefixed(byte[] prefix, String name) {
    byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
    byte[] full = new byte[prefix.length + utf8.length];
    System.arraycopy(prefix, 0, full, 0, prefix.length);
    System.arraycopy(utf8, 0, full, prefix.length, utf8.length);
    return full;
  }

  /** One connection, made on first use and made again if the last attempt failed. */
  private static final class Lazy {
    private final Supplier<CompletableFuture<Connection<byte[], byte[]>>> connector;
    private final AtomicReference<CompletableFuture<Connection<byte[], byte[]>>> current =
        new AtomicReference<>();

    Lazy(Supplier<CompletableFuture<Connection<byte[], byte[]>>> connector) {
      this.connector = connector;
      get();
    }

    CompletableFuture<Connection<byte[], byte[]>> get() {
      CompletableFuture<Connection<byte[], byte[]>> connection = current.get();
      if (connection == null || connection.isCompletedExceptionally()) {
        CompletableFuture<Connection<byte[], byte[]>> attempt = connector.get();
        return current.compareAndSet(connection, attempt) ? attempt : current.get();
      }
      return connection;
    }

    void close() {
      CompletableFuture<Connection<byte[], byte[]>> connection = current.get();
      if (connection != null) {
        connection.thenAccept(c -> c.connection().closeAsync());
      }
    }
  }
}
