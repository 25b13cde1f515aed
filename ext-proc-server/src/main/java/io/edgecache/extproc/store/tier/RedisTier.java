package io.edgecache.extproc.store.tier;

import io.edgecache.extproc.config.TiersConfig;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.ExpireArgs;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SetArgs;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.async.RedisKeyAsyncCommands;
import io.lettuce.core.api.async.RedisSetAsyncCommands;
import io.lettuce.core.api.async.RedisStringAsyncCommands;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * L3: entries as binary Redis strings under {@code edgecache:<key>}, expiring with the entry
 * (TTL = remaining freshness + stale windows), through Lettuce's async API on one standalone
 * server or a Redis Cluster.
 *
 * <p>Reads use their own connection; writes use a second one that does not flush each command,
 * so a batch of writes goes out pipelined on {@link #flush()}. When Redis is unreachable,
 * commands are rejected at once instead of queued, so callers see the outage immediately;
 * Lettuce reconnects in the background, and a connection that could not be made at startup is
 * retried by the next call.
 */
public final class RedisTier implements Tier {

  private static final byte[] KEY_PREFIX = "edgecache:".getBytes(StandardCharsets.UTF_8);
  /** A set per surrogate key / cache tag, listing the entry keys carrying it. */
  private static final byte[] TAG_PREFIX = "edgecache-tag:".getBytes(StandardCharsets.UTF_8);
  private static final Duration RECONNECT_DELAY = Duration.ofMillis(200);

  private final ClientResources resources;
  private final AbstractRedisClient client;
  private final Function<AbstractRedisClient, CompletableFuture<Commands>> connector;
  private final Lazy reads;
  private final Lazy writes;

  /** The two command views every Lettuce connection kind offers, over one connection. */
  private record Commands(
      StatefulConnection<byte[], byte[]> connection,
      RedisStringAsyncCommands<byte[], byte[]> strings,
      RedisKeyAsyncCommands<byte[], byte[]> keys,
      RedisSetAsyncCommands<byte[], byte[]> sets) {}

  private RedisTier(TiersConfig.Redis config) {
    this.resources = DefaultClientResources.builder()
        .reconnectDelay(Delay.constant(RECONNECT_DELAY))
        .build();
    RedisURI uri = RedisURI.create(config.uri());
    uri.setTimeout(config.timeout());
    ClientOptions options = ClientOptions.builder()
        .autoReconnect(true)
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .timeoutOptions(TimeoutOptions.enabled(config.timeout()))
        .build();
    if (config.cluster()) {
      RedisClusterClient cluster = RedisClusterClient.create(resources, uri);
      cluster.setOptions(ClusterClientOptions.builder(options).build());
      this.client = cluster;
      this.connector = c -> cluster.connectAsync(ByteArrayCodec.INSTANCE)
          .thenApply(connection -> new Commands(connection, connection.async(), connection.async(),
              connection.async()));
    } else {
      RedisClient standalone = RedisClient.create(resources, uri);
      standalone.setOptions(options);
      this.client = standalone;
      this.connector = c -> standalone.connectAsync(ByteArrayCodec.INSTANCE, uri)
          .toCompletableFuture()
          .thenApply(connection -> new Commands(connection, connection.async(), connection.async(),
              connection.async()));
    }
    this.reads = new Lazy(true);
    this.writes = new Lazy(false);
  }

  /** Starts connecting; never fails because Redis is down (calls fail until it is up). */
  public static RedisTier connect(TiersConfig.Redis config) {
    return new RedisTier(config);
  }

  @Override
  public String name() {
    return "redis";
  }

  @Override
  public CompletableFuture<Optional<Found>> get(String key, long wholeUpTo) {
    // Redis holds small entries only: they are always read whole.
    return reads.get()
        .thenCompose(c -> c.strings().get(redisKey(key)).toCompletableFuture())
        .thenApply(bytes -> Optional.ofNullable(bytes).map(Found::whole));
  }

  @Override
  public CompletableFuture<Void> put(String key, byte[] encoded, Duration timeToKeep) {
    long millis = timeToKeep.toMillis();
    if (millis <= 0) {
      return CompletableFuture.completedFuture(null); // would expire at once
    }
    CompletableFuture<Commands> connection = writes.get();
    // a write issued once a pending connection is made comes after the batch's flush
    boolean flushedByCaller = connection.isDone();
    return connection
        .thenCompose(c -> {
          CompletableFuture<String> set =
              c.strings().set(redisKey(key), encoded, SetArgs.Builder.px(millis))
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
        .thenCompose(c -> c.keys().del(redisKey(key)).toCompletableFuture())
        .thenApply(count -> null);
  }

  /**
   * Lists {@code key} in the set of each of its {@code tags}, so a tag purge finds the shared
   * entries every node wrote. A set expires with the longest-kept entry added to it (PEXPIRE NX,
   * then GT: Redis 7 or newer; on older servers this fails and purges rely on screening).
   */
  public CompletableFuture<Void> index(String key, Set<String> tags, Duration timeToKeep) {
    long millis = timeToKeep.toMillis();
    byte[] member = key.getBytes(StandardCharsets.UTF_8);
    return reads.get().thenCompose(c -> {
      List<CompletableFuture<?>> calls = new ArrayList<>();
      for (String tag : tags) {
        byte[] set = prefixed(TAG_PREFIX, tag);
        calls.add(c.sets().sadd(set, member).toCompletableFuture());
        calls.add(c.keys().pexpire(set, millis, ExpireArgs.Builder.nx()).toCompletableFuture());
        calls.add(c.keys().pexpire(set, millis, ExpireArgs.Builder.gt()).toCompletableFuture());
      }
      return CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new));
    });
  }

  /** Removes from {@code tag}'s set, and returns, the listed keys {@code which} accepts. */
  public CompletableFuture<List<String>> takeTagged(String tag, Predicate<String> which) {
    byte[] set = prefixed(TAG_PREFIX, tag);
    return reads.get().thenCompose(c -> c.sets().smembers(set).toCompletableFuture()
        .thenCompose(members -> {
          List<byte[]> taken = members.stream()
              .filter(m -> which.test(new String(m, StandardCharsets.UTF_8)))
              .toList();
          if (taken.isEmpty()) {
            return CompletableFuture.completedFuture(List.<String>of());
          }
          return c.sets().srem(set, taken.toArray(byte[][]::new)).toCompletableFuture()
              .thenApply(removed -> taken.stream()
                  .map(m -> new String(m, StandardCharsets.UTF_8)).toList());
        }));
  }

  @Override
  public void flush() {
    CompletableFuture<Commands> connection = writes.current.get();
    if (connection != null && connection.isDone() && !connection.isCompletedExceptionally()) {
      connection.join().connection().flushCommands();
    }
  }

  @Override
  public void close() {
    reads.close();
    writes.close();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    resources.shutdown(0, 2, TimeUnit.SECONDS);
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
  private final class Lazy {
    private final boolean autoFlush;
    private final AtomicReference<CompletableFuture<Commands>> current = new AtomicReference<>();

    Lazy(boolean autoFlush) {
      this.autoFlush = autoFlush;
      get();
    }

    CompletableFuture<Commands> get() {
      CompletableFuture<Commands> connection = current.get();
      if (connection == null || connection.isCompletedExceptionally()) {
        CompletableFuture<Commands> attempt = connector.apply(client).thenApply(c -> {
          c.connection().setAutoFlushCommands(autoFlush);
          return c;
        });
        return current.compareAndSet(connection, attempt) ? attempt : current.get();
      }
      return connection;
    }

    void close() {
      CompletableFuture<Commands> connection = current.get();
      if (connection != null) {
        connection.thenAccept(c -> c.connection().closeAsync());
      }
    }
  }
}
