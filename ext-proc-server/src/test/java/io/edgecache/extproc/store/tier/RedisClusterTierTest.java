package io.edgecache.extproc.store.tier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.config.TiersConfig;
import io.edgecache.extproc.testing.RedisCluster;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * RedisTier with {@code cluster: true} on a real three-master Redis Cluster: entries and tag
 * sets spread over every node, and each operation still works whichever slots its keys hash to.
 */
class RedisClusterTierTest {

  private static final Duration WAIT = Duration.ofSeconds(10);
  private static RedisCluster cluster;
  private static RedisClusterClient direct;
  private static StatefulRedisClusterConnection<String, String> inspect;

  private RedisTier tier;
  private String prefix;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = RedisCluster.start();
    direct = RedisClusterClient.create(cluster.uri());
    inspect = direct.connect();
  }

  @AfterAll
  static void stopCluster() {
    direct.shutdown();
    cluster.close();
  }

  @BeforeEach
  void connect(TestInfo test) {
    // A command budget well above any loaded machine's connection set-up: no test here is about
    // a slow cluster (the killed node has its own), and a command left unsent still fails.
    tier = RedisTier.connect(config(cluster.uri(), Duration.ofSeconds(5)));
    prefix = test.getTestMethod().orElseThrow().getName() + "/";
  }

  @AfterEach
  void close() {
    tier.close();
  }

  @Test
  void manyKeysGoToEveryNodeAndComeBack() throws Exception {
    List<String> keys = IntStream.range(0, 300).mapToObj(i -> prefix + i).toList();
    putAll(keys, Duration.ofMinutes(5));

    for (String uri : cluster.nodeUris()) {
      try (RedisClient node = RedisClient.create(uri);
          StatefulRedisConnection<String, String> connection = node.connect()) {
        assertTrue(connection.sync().dbsize() > 0, "entries on node " + uri);
      }
    }
    for (String key : keys) {
      assertArrayEquals(value(key), get(key).orElseThrow().whole(), key);
    }

    List<String> removed = keys.subList(0, 150);
    await(removed.stream().map(tier::remove).toList());
    for (String key : keys) {
      assertEquals(!removed.contains(key), get(key).isPresent(), key);
    }
  }

  @Test
  void entriesExpireWithTheirTimeToKeep() throws Exception {
    putAll(List.of(prefix + "kept"), Duration.ofSeconds(90));
    long millis = inspect.sync().pttl("edgecache:" + prefix + "kept");
    assertTrue(millis > 80_000 && millis <= 90_000, "PTTL " + millis);

    tier.put(prefix + "gone", value("gone"), Duration.ZERO).get(10, TimeUnit.SECONDS);
    assertEquals(-2, inspect.sync().pttl("edgecache:" + prefix + "gone"), "never stored");
  }

  @Test
  void valuesAreBinarySafe() throws Exception {
    byte[] every = new byte[512];
    for (int i = 0; i < every.length; i++) {
      every[i] = (byte) i; // every byte value twice, NUL, CR and LF among them
    }
    CompletableFuture<Void> put = tier.put(prefix + "bytes", every, Duration.ofMinutes(1));
    tier.flush();
    put.get(10, TimeUnit.SECONDS);
    assertArrayEquals(every, get(prefix + "bytes").orElseThrow().whole());
  }

  @Test
  void theTagIndexWorksAcrossSlots() throws Exception {
    List<String> tags = IntStream.range(0, 12).mapToObj(i -> prefix + "tag" + i).toList();
    Set<Integer> tagNodes = new HashSet<>();
    for (String tag : tags) {
      tagNodes.add(cluster.nodeServing(SlotHash.getSlot("edgecache-tag:" + tag)));
    }
    assertTrue(tagNodes.size() > 1, "the tag sets live on several nodes");

    List<CompletableFuture<Void>> indexed = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      // each key carries two tags; keys and tags hash to unrelated slots
      indexed.add(tier.index(prefix + i, Set.of(tags.get(i % 12), tags.get((i + 1) % 12)),
          Duration.ofMinutes(10)));
    }
    await(indexed);
    long setMillis = inspect.sync().pttl("edgecache-tag:" + tags.get(0));
    assertTrue(setMillis > 9 * 60_000, "the set expires with its entries: PTTL " + setMillis);
    String kept = prefix + "kept";
    await(List.of(tier.index(prefix + "long", Set.of(kept), Duration.ofMinutes(10))));
    await(List.of(tier.index(prefix + "short", Set.of(kept), Duration.ofMinutes(1))));
    long afterShort = inspect.sync().pttl("edgecache-tag:" + kept);
    assertTrue(afterShort > 9 * 60_000, "a shorter-lived entry never shortens the set: PTTL " + afterShort);

    // tag0 lists keys 0, 12, 24, 36, 48 (as their first tag) and 11, 23, 35, 47, 59
    List<String> early = tier.takeTagged(tags.get(0), key -> number(key) < 30)
        .get(10, TimeUnit.SECONDS);
    assertEquals(keys(0, 12, 24, 11, 23), Set.copyOf(early));
    List<String> rest = tier.takeTagged(tags.get(0), key -> true).get(10, TimeUnit.SECONDS);
    assertEquals(keys(36, 48, 35, 47, 59), Set.copyOf(rest));
    assertEquals(List.of(), tier.takeTagged(tags.get(0), key -> true).get(10, TimeUnit.SECONDS));
    assertEquals(10, tier.takeTagged(tags.get(5), key -> true).get(10, TimeUnit.SECONDS).size());
  }

  @Test
  void aKilledNodeFailsItsKeysFastAndSparesTheOthers() throws Exception {
    try (RedisCluster own = RedisCluster.start();
        RedisTier onOwn = RedisTier.connect(config(own.uri(), Duration.ofMillis(500)))) {
      String lost = keyOnNode(own, 2);
      String kept = keyOnNode(own, 0);
      for (String key : List.of(lost, kept)) {
        CompletableFuture<Void> put = onOwn.put(key, value(key), Duration.ofMinutes(1));
        onOwn.flush();
        put.get(10, TimeUnit.SECONDS);
      }

      own.kill(2);
      long start = System.nanoTime();
      ExecutionException failure = assertThrows(ExecutionException.class,
          () -> onOwn.get(lost, Long.MAX_VALUE).get(10, TimeUnit.SECONDS));
      long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(tookMillis < 2_000, "failed after " + tookMillis + " ms: " + failure);
      assertArrayEquals(value(kept), onOwn.get(kept, Long.MAX_VALUE).get(10, TimeUnit.SECONDS)
          .orElseThrow().whole());
    }
  }

  private int number(String key) {
    return Integer.parseInt(key.substring(prefix.length()));
  }

  private Set<String> keys(int... numbers) {
    return IntStream.of(numbers).mapToObj(i -> prefix + i).collect(Collectors.toSet());
  }

  private static TiersConfig.Redis config(String uri, Duration timeout) {
    return new TiersConfig.Redis(true, uri, true, timeout);
  }

  /** A key of this test whose entry hashes to a slot of node {@code index}. */
  private String keyOnNode(RedisCluster on, int index) {
    return IntStream.iterate(0, i -> i + 1).mapToObj(i -> prefix + i)
        .filter(key -> on.nodeServing(SlotHash.getSlot("edgecache:" + key)) == index)
        .findFirst().orElseThrow();
  }

  /** Stores every key (its value derived from it) as one pipelined batch. */
  private void putAll(List<String> keys, Duration timeToKeep) throws Exception {
    List<CompletableFuture<Void>> puts =
        keys.stream().map(key -> tier.put(key, value(key), timeToKeep)).toList();
    tier.flush();
    await(puts);
  }

  private Optional<Found> get(String key) throws Exception {
    return tier.get(key, Long.MAX_VALUE).get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private static byte[] value(String key) {
    return ("value of " + key).getBytes(StandardCharsets.UTF_8);
  }

  private static void await(List<? extends CompletableFuture<?>> calls) throws Exception {
    CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new))
        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }
}
