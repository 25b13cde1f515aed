package io.edgecache.extproc.coalesce;

import io.edgecache.extproc.testing.RedisCluster;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;

/**
 * Every {@link ClusterCoalescerTest} on a three-master Redis Cluster with {@code cluster: true}:
 * leases land on whichever node owns their slot, and each node's notices reach the other
 * whichever node it subscribed on.
 */
class ClusterCoalescerOnRedisClusterTest extends ClusterCoalescerTest {

  @Override
  SharedRedis share() throws Exception {
    RedisCluster cluster = RedisCluster.start();
    RedisClusterClient client = RedisClusterClient.create(cluster.uri());
    StatefulRedisClusterConnection<String, String> connection = client.connect();
    return new SharedRedis(cluster.uri(), true, connection.sync()::get, () -> {
      client.shutdown();
      cluster.close();
    });
  }
}
