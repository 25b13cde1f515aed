package io.edgecache.extproc.coalesce;

import io.edgecache.extproc.config.TiersConfig;
import io.edgecache.extproc.store.tier.RedisEndpoint;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The Redis side of cluster-wide collapsing: leases ({@code SET NX PX}) and notifications on
 * one pub/sub channel, on the server the Redis tier uses. Connections are made on first use
 * and made again by the next call after a failed attempt; once made, Lettuce reconnects them
 * (resubscribing the channel) and rejects commands while Redis is away, so callers see an
 * outage at once.
 *
 * <p>Works on a Redis Cluster too: each script declares its one key, the lease, so it runs on
 * the node owning that key's slot; the PUBLISH it ends with reaches subscribers on every node.
 */
final class RedisLeases implements AutoCloseable {

  /**
   * Takes the lease when it is free or only a tombstone: {1, tombstone or ''}; else
   * {0, holder, milliseconds it has left}.
   */
  private static final String CLAIM = """
      local held = redis.call('get', KEYS[1])
      if (not held) or held == ARGV[3] then
        redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
        return {1, held or ''}
      end
      return {0, held, redis.call('pttl', KEYS[1])}
      """;

  /**
   * If the caller still owns the lease, replaces it with a tombstone (or deletes it when the
   * tombstone is ''); then publishes. One round trip.
   */
  private static final String RELEASE_AND_PUBLISH = """
      if redis.call('get', KEYS[1]) == ARGV[1] then
        if ARGV[4] == '' then
          redis.call('del', KEYS[1])
        else
          redis.call('set', KEYS[1], ARGV[4], 'PX', ARGV[5])
        end
      end
      return redis.call('publish', ARGV[2], ARGV[3])
      """;

  /** Extends the lease if the caller still owns it; 1 when it did. */
  private static final String RENEW = """
      if redis.call('get', KEYS[1]) == ARGV[1] then
        return redis.call('pexpire', KEYS[1], ARGV[2])
      end
      return 0
      """;

  private final RedisEndpoint endpoint;
  private final String channel;
  private final Consumer<String> onMessage;
  private final AtomicReference<CompletableFuture<Connections>> connections =
      new AtomicReference<>();

  /** A command connection and the subscribed connection that delivers notifications. */
  private record Connections(
      RedisEndpoint.Connection<String, String> connection,
      StatefulRedisPubSubConnection<String, String> subscription) {}

  /**
   * @param channel the pub/sub channel notifications travel on
   * @param onMessage called with every message on the channel, on a Lettuce thread: it must
   *     not block
   */
  RedisLeases(TiersConfig.Redis config, String channel, Consumer<String> onMessage) {
    this.endpoint = RedisEndpoint.of(config);
    this.channel = channel;
    this.onMessage = onMessage;
    connections(); // subscribe now, so notifications flow before the first lease
  }

  /**
   * What asking for a lease came to: {@code taken}, replacing {@code tombstone} when one was
   * there; or held by someone else for {@code heldMillis} more (negative if it just went).
   */
  record Claim(boolean taken, boolean overTombstone, long heldMillis) {}

  /**
   * Takes the lease {@code key} for {@code ttl} if nobody holds it, or if all it holds is
   * {@code tombstone}.
   */
  CompletableFuture<Claim> claim(String key, String owner, Duration ttl, String tombstone) {
    return commands().thenCompose(redis -> redis.<List<Object>>eval(CLAIM,
            ScriptOutputType.MULTI, new String[] {key}, owner, String.valueOf(ttl.toMillis()),
            tombstone)
        .toCompletableFuture())
        .thenApply(reply -> ((Long) reply.get(0)) == 1L
            ? new Claim(true, tombstone.equals(reply.get(1)), 0)
            : new Claim(false, false, (Long) reply.get(2)));
  }

  /** Extends the lease {@code key} to {@code ttl} from now if {@code owner} holds it. */
  CompletableFuture<Boolean> renew(String key, String owner, Duration ttl) {
    return commands().thenCompose(redis -> redis.<Long>eval(RENEW, ScriptOutputType.INTEGER,
            new String[] {key}, owner, String.valueOf(ttl.toMillis()))
        .toCompletableFuture())
        .thenApply(renewed -> renewed == 1L);
  }

  /**
   * Gives up the lease {@code key} if {@code owner} still holds it, leaving {@code tombstone}
   * in its place for {@code tombstoneTtl} unless it is null, and publishes a message.
   */
  CompletableFuture<Void> releaseAndPublish(String key, String owner, String message,
      String tombstone, Duration tombstoneTtl) {
    return commands().thenCompose(redis -> redis.<Long>eval(RELEASE_AND_PUBLISH,
            ScriptOutputType.INTEGER, new String[] {key}, owner, channel, message,
            tombstone == null ? "" : tombstone, String.valueOf(tombstoneTtl.toMillis()))
        .toCompletableFuture())
        .thenApply(receivers -> null);
  }

  /** Completes once both connections are made (subscribed), exceptionally if that failed. */
  CompletableFuture<Void> connected() {
    return connections().thenApply(made -> null);
  }

  /** Closes both connections (closing the endpoint closes what it opened). */
  @Override
  public void close() {
    endpoint.close();
  }

  private CompletableFuture<RedisClusterAsyncCommands<String, String>> commands() {
    return connections().thenApply(c -> c.connection().commands());
  }

  private CompletableFuture<Connections> connections() {
    CompletableFuture<Connections> current = connections.get();
    if (current != null && !current.isCompletedExceptionally()) {
      return current;
    }
    CompletableFuture<Connections> attempt = subscribe().thenCompose(subscription ->
        endpoint.connect(StringCodec.UTF8)
            .thenApply(connection -> new Connections(connection, subscription))
            .whenComplete((made, error) -> {
              if (error != null) {
                subscription.closeAsync();
              }
            }));
    return connections.compareAndSet(current, attempt) ? attempt : connections.get();
  }

  private CompletableFuture<StatefulRedisPubSubConnection<String, String>> subscribe() {
    return endpoint.connectPubSub(StringCodec.UTF8)
        .thenCompose(subscription -> {
          subscription.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String from, String message) {
              onMessage.accept(message);
            }
          });
          return subscription.async().subscribe(channel).toCompletableFuture()
              .thenApply(subscribed -> subscription);
        });
  }
}
