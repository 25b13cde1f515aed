package io.edgecache.extproc.store.tier;

import io.edgecache.extproc.config.TiersConfig;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The configured Redis, one server or a Redis Cluster reached through a seed URI, as a
 * Lettuce client. The tier ({@link RedisTier}) and the cluster-wide leases ({@code
 * RedisLeases}) each make their own from the same configuration, so both behave the same in an
 * outage: commands are rejected at once instead of queued while Redis is away, and Lettuce
 * reconnects every 200 ms in the background.
 *
 * <p>Callers see both kinds of connection through the command interface they share, so
 * nothing above this class depends on the {@code cluster} flag. In a cluster every command
 * edgecache sends names one key (Lua scripts declare theirs), so Lettuce routes each to the
 * node owning its slot and no command can fail with CROSSSLOT.
 */
public final class RedisEndpoint implements AutoCloseable {

  private static final Duration RECONNECT_DELAY = Duration.ofMillis(200);

  private final ClientResources resources;
  private final AbstractRedisClient client;
  private final Connector connector;
  /** Whether commands can wait for flushCommands() safely: on one server, not in a cluster. */
  private final boolean batchesOnFlush;

  /** A connection and its asynchronous commands, whichever kind of Redis it reaches. */
  public record Connection<K, V>(
      StatefulConnection<K, V> connection, RedisClusterAsyncCommands<K, V> commands) {}

  /** What differs between the standalone and the cluster client. */
  private interface Connector {
    <K, V> CompletableFuture<Connection<K, V>> connect(RedisCodec<K, V> codec);

    <K, V> CompletableFuture<StatefulRedisPubSubConnection<K, V>> connectPubSub(
        RedisCodec<K, V> codec);
  }

  private RedisEndpoint(TiersConfig.Redis config) {
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
    this.batchesOnFlush = !config.cluster();
    if (config.cluster()) {
      RedisClusterClient cluster = RedisClusterClient.create(resources, uri);
      // Slots move when the cluster is resharded or fails over: MOVED replies and lost nodes
      // make Lettuce read the topology again instead of following redirects forever.
      cluster.setOptions(ClusterClientOptions.builder(options)
          .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
              .enableAllAdaptiveRefreshTriggers()
              .build())
          .build());
      this.client = cluster;
      // The async connects need the topology read first (the sync ones read it themselves);
      // reading it again on every attempt also catches up with a cluster that changed.
      this.connector = new Connector() {
        @Override
        public <K, V> CompletableFuture<Connection<K, V>> connect(RedisCodec<K, V> codec) {
          return topology().thenCompose(read -> cluster.connectAsync(codec))
              .thenApply(made -> new Connection<>(made, made.async()));
        }

        @Override
        public <K, V> CompletableFuture<StatefulRedisPubSubConnection<K, V>> connectPubSub(
            RedisCodec<K, V> codec) {
          return topology().thenCompose(read -> cluster.connectPubSubAsync(codec))
              .thenApply(made -> made);
        }

        private CompletableFuture<Void> topology() {
          return cluster.refreshPartitionsAsync().toCompletableFuture();
        }
      };
    } else {
      RedisClient standalone = RedisClient.create(resources, uri);
      standalone.setOptions(options);
      this.client = standalone;
      this.connector = new Connector() {
        @Override
        public <K, V> CompletableFuture<Connection<K, V>> connect(RedisCodec<K, V> codec) {
          return standalone.connectAsync(codec, uri).toCompletableFuture()
              .thenApply(made -> new Connection<>(made, made.async()));
        }

        @Override
        public <K, V> CompletableFuture<StatefulRedisPubSubConnection<K, V>> connectPubSub(
            RedisCodec<K, V> codec) {
          return standalone.connectPubSubAsync(codec, uri).toCompletableFuture();
        }
      };
    }
  }

  /** Makes the client; connects nothing yet, so it never fails because Redis is down. */
  public static RedisEndpoint of(TiersConfig.Redis config) {
    return new RedisEndpoint(config);
  }

  /** A new command connection. */
  public <K, V> CompletableFuture<Connection<K, V>> connect(RedisCodec<K, V> codec) {
    return connector.connect(codec);
  }

  /**
   * A new command connection for pipelined batches: its commands go out together on {@code
   * flushCommands()}. On one server only; in a cluster each command is flushed as it is written,
   * because Lettuce writes a command whose node connection is still being made when that
   * connection completes, on its event loop, which can run alongside or after the batch's flush:
   * such a command stays unsent until a later flush or its timeout (lettuce#1065, #2420).
   */
  public <K, V> CompletableFuture<Connection<K, V>> connectBatching(RedisCodec<K, V> codec) {
    return connect(codec).thenApply(made -> {
      made.connection().setAutoFlushCommands(!batchesOnFlush);
      return made;
    });
  }

  /**
   * A new pub/sub connection. In a cluster it subscribes on one node, which is enough:
   * PUBLISH reaches the subscribers of every node.
   */
  public <K, V> CompletableFuture<StatefulRedisPubSubConnection<K, V>> connectPubSub(
      RedisCodec<K, V> codec) {
    return connector.connectPubSub(codec);
  }

  /** Closes every connection made here, then the client's threads. */
  @Override
  public void close() {
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    resources.shutdown(0, 2, TimeUnit.SECONDS);
  }
}
