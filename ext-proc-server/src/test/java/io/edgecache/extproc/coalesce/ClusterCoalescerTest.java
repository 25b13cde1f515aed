package io.edgecache.extproc.coalesce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.edgecache.extproc.cache.CacheKey;
import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.cache.L1Store;
import io.edgecache.extproc.cache.ReuseRules;
import io.edgecache.extproc.coalesce.ClusterCoalescer.Outcome;
import io.edgecache.extproc.coalesce.ClusterCoalescer.Turn;
import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.config.TiersConfig;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.store.TieredStore;
import io.edgecache.extproc.testing.ManualClock;
import io.edgecache.extproc.testing.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;

/**
 * Two nodes' cluster coalescers on one real Redis, each with its own tiered store (memory and
 * Redis): who fetches, and what the other is told. {@link ClusterCoalescerOnRedisClusterTest}
 * runs the same on a Redis Cluster.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterCoalescerTest {

  private static final Duration WAIT = Duration.ofSeconds(20);
  /**
   * The nodes' budget per Redis call. Generous, and below the 15 s the test waits for a claim:
   * a fresh node's first calls also connect it (cluster topology, subscription, command
   * connection), which took up to 8 s on a loaded 2-core machine, and no test here is about a
   * slow Redis (the outage case is a refused connection, which fails at once).
   */
  private static final Duration REDIS_BUDGET = Duration.ofSeconds(10);
  /**
   * A lease short enough to be outlived several times within the test, long enough that a
   * renewal (due a third into it) is never late on a loaded machine.
   */
  private static final Duration SHORT_LEASE = Duration.ofSeconds(2);
  private SharedRedis redis;

  private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
  private Node a;
  private Node b;
  private CacheKey key;

  /** One cache node's share of the cluster: its store and its coalescer. */
  private record Node(TieredStore store, ClusterCoalescer cluster) implements AutoCloseable {
    @Override
    public void close() {
      cluster.close();
      store.close();
    }
  }

  /**
   * The Redis the nodes share: where it is, whether it is a cluster, a direct read of a key
   * for checks, and what to close after the last test.
   */
  record SharedRedis(String uri, boolean cluster, UnaryOperator<String> read,
      AutoCloseable resources) {}

  @BeforeAll
  void startRedis() throws Exception {
    redis = share();
  }

  @AfterAll
  void stopRedis() throws Exception {
    redis.resources().close();
  }

  /** Starts the Redis the nodes share: one server here. */
  SharedRedis share() throws Exception {
    RedisServer server = RedisServer.start();
    RedisClient client = RedisClient.create(server.uri());
    StatefulRedisConnection<String, String> connection = client.connect();
    return new SharedRedis(server.uri(), false, connection.sync()::get, () -> {
      client.shutdown();
      server.close();
    });
  }

  /** The nodes' scheduler: waits for notices and lease renewals. */
  private ScheduledExecutorService timers;

  @BeforeEach
  void startNodes(TestInfo test) throws Exception {
    timers = Executors.newSingleThreadScheduledExecutor();
    a = connectedNode(Duration.ofSeconds(30));
    b = connectedNode(Duration.ofSeconds(30));
    key = CacheKey.of("http", "example.test", "/" + test.getDisplayName());
  }

  @AfterEach
  void stopNodes() {
    a.close();
    b.close();
    timers.shutdownNow();
  }

  /** A node on the shared Redis, once it reads and writes it. */
  private Node connectedNode(Duration leaseTtl) throws Exception {
    return connectedNode(leaseTtl, WAIT);
  }

  /** As {@link #connectedNode(Duration)}, its leaders leading for {@code maxWait} at most. */
  private Node connectedNode(Duration leaseTtl, Duration maxWait) throws Exception {
    Node node = node(redis.uri(), leaseTtl, maxWait);
    awaitRedis(node.store());
    return node;
  }

  private Node node(String redisUri, Duration leaseTtl) throws Exception {
    return node(redisUri, leaseTtl, WAIT);
  }

  private Node node(String redisUri, Duration leaseTtl, Duration maxWait) throws Exception {
    TiersConfig defaults = TiersConfig.defaults();
    TiersConfig tiers = new TiersConfig(defaults.largeObjectBytes(), 64,
        defaults.writeQueueBytes(), 3,
        Duration.ofSeconds(1), Duration.ofSeconds(2), null, null, defaults.disk(),
        new TiersConfig.Redis(true, redisUri, redis.cluster(), REDIS_BUDGET),
        defaults.s3());
    TieredStore store = TieredStore.open(tiers, new L1Store(1 << 20, Duration.ZERO, clock),
        clock, timers);
    return new Node(store, new ClusterCoalescer(
        new ServerConfig.Collapsing(true, maxWait, Duration.ofSeconds(10),
            new ServerConfig.ClusterCollapsing(true, leaseTtl)),
        tiers, clock, timers, store::lookupBelowMemory));
  }

  /**
   * Waits until a fresh node writes and reads Redis through its store. Its connections start in
   * the background, and on a loaded machine a cluster client's topology and connections took
   * longer than the store's 2 s lookup wait: the first fill then read as "not there" and the
   * waiter fetched itself, failing tests that are not about a slow Redis.
   */
  private void awaitRedis(TieredStore store) throws Exception {
    CacheKey probe = CacheKey.of("http", "probe.test", "/" + System.nanoTime());
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!(store.store(probe, entry("probe")).get(15, TimeUnit.SECONDS)
        && store.lookupBelowMemory(probe).get(15, TimeUnit.SECONDS) != null)) {
      assertTrue(System.nanoTime() - deadline < 0, "the node never reached Redis within 30 s");
      LockSupport.parkNanos(Duration.ofMillis(50).toNanos()); // between attempts, not a wait for a result
    }
  }

  @Test
  void theLoserIsServedTheWinnersEntryFromRedis() throws Exception {
    Turn first = claim(a, WAIT, new CountDownLatch(1));
    assertEquals(Outcome.LEAD, first.outcome());
    CompletableFuture<Turn> second = waitingClaim(b);

    CachedResponse entry = entry("fetched by A");
    first.lease().filled(a.store().store(key, entry));

    Turn served = second.get(15, TimeUnit.SECONDS);
    assertEquals(Outcome.FILLED, served.outcome());
    assertEquals(entry.body(), served.entry().body());
    assertEquals(1, a.cluster().leasesWon());
    assertEquals(1, b.cluster().leasesLost());
    assertEquals(1, b.cluster().fillsReceived());
  }

  @Test
  void aClaimJustAfterAFillReadsTheEntryInsteadOfFetchingAgain() throws Exception {
    Turn first = claim(a, WAIT, new CountDownLatch(1));
    CachedResponse entry = entry("fetched once");
    first.lease().filled(a.store().store(key, entry));
    awaitTombstone();

    // B's lookup missed just before the fill landed; its claim finds the tombstone.
    CountDownLatch waiting = new CountDownLatch(1);
    Turn late = claim(b, WAIT, waiting);
    assertEquals(Outcome.FILLED, late.outcome());
    assertEquals(entry.body(), late.entry().body());
    assertEquals(1, waiting.getCount(), "served without waiting");
  }

  @Test
  void aTombstoneWhoseEntryIsGoneLetsTheNextNodeFetch() throws Exception {
    Turn first = claim(a, WAIT, new CountDownLatch(1));
    first.lease().filled(CompletableFuture.completedFuture(true)); // then purged, say
    awaitTombstone();
    Turn next = claim(b, WAIT, new CountDownLatch(1));
    assertEquals(Outcome.LEAD, next.outcome());
    next.lease().abandoned();
  }

  @Test
  void aPassReleasesTheLoserToTheOrigin() throws Exception {
    Turn first = claim(a, WAIT, new CountDownLatch(1));
    CompletableFuture<Turn> second = waitingClaim(b);
    first.lease().passed();
    assertEquals(Outcome.PASS, second.get(15, TimeUnit.SECONDS).outcome());
  }

  @Test
  void anAbandonedLeaseGoesToTheNextNode() throws Exception {
    Turn first = claim(a, WAIT, new CountDownLatch(1));
    CompletableFuture<Turn> second = waitingClaim(b);
    first.lease().abandoned();
    Turn next = second.get(15, TimeUnit.SECONDS);
    assertEquals(Outcome.LEAD, next.outcome());
    assertNotNull(next.lease());
    next.lease().abandoned();
  }

  @Test
  void aLiveLeaderKeepsItsLeaseWhileItFetches() throws Exception {
    try (Node shortA = connectedNode(SHORT_LEASE);
        Node shortB = connectedNode(SHORT_LEASE)) {
      Turn first = claim(shortA, WAIT, new CountDownLatch(1));
      CompletableFuture<Turn> second = waitingClaim(shortB);
      // Outlive the lease several times over: renewals keep it, so B keeps waiting.
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (shortA.cluster().leaseRenewals() < 4 && System.nanoTime() < deadline) {
        LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
      }
      assertTrue(shortA.cluster().leaseRenewals() >= 4);
      assertFalse(second.isDone(), "B still waits on A's renewed lease");

      first.lease().filled(shortA.store().store(key, entry("slow but single")));
      assertEquals(Outcome.FILLED, second.get(15, TimeUnit.SECONDS).outcome());
      assertEquals(0, shortB.cluster().leaseTakeovers());
    }
  }

  /**
   * A leader whose fetch never ends (a stalled origin, a stream left silent) renews its lease
   * for one maxWait only: then the lease runs out and the waiting node takes the key over,
   * instead of waiting out its own whole bound (here 20 s, beyond this test's 15 s look).
   */
  @Test
  void aStalledLeaderRenewsForOneMaxWaitThenAnotherNodeTakesOver() throws Exception {
    try (Node stalled = connectedNode(SHORT_LEASE, Duration.ofSeconds(1));
        Node waiting = connectedNode(SHORT_LEASE)) {
      Turn first = claim(stalled, WAIT, new CountDownLatch(1));
      Turn next = waitingClaim(waiting).get(15, TimeUnit.SECONDS);
      assertEquals(Outcome.LEAD, next.outcome());
      assertEquals(1, waiting.cluster().leaseTakeovers());
      next.lease().abandoned();
      first.lease().abandoned();
    }
  }

  @Test
  void theWaitEndsAtMaxWait() throws Exception {
    claim(a, WAIT, new CountDownLatch(1));
    CountDownLatch waiting = new CountDownLatch(1);
    // 1 s, not 300 ms: room on a loaded machine for b's claim to reach Redis and be told to
    // wait before its own wait ends.
    Turn second = claim(b, Duration.ofSeconds(1), waiting);
    assertEquals(Outcome.TIMED_OUT, second.outcome());
    assertEquals(0, waiting.getCount(), "told to wait before timing out");
  }

  @Test
  void withoutRedisTheNodeFetchesAlone() throws Exception {
    try (Node alone = node("redis://127.0.0.1:1", Duration.ofSeconds(30))) {
      CountDownLatch waiting = new CountDownLatch(1);
      Turn turn = claim(alone, WAIT, waiting);
      assertEquals(Outcome.ALONE, turn.outcome());
      assertNull(turn.lease());
      assertEquals(1, waiting.getCount(), "never told to wait");
      assertEquals(1, alone.cluster().unavailable());
      assertFalse(alone.cluster().leasesWon() > 0);
    }
  }

  /** {@code node} claims a key another node leads, and is told to wait. */
  private CompletableFuture<Turn> waitingClaim(Node node) throws InterruptedException {
    CountDownLatch waiting = new CountDownLatch(1);
    CompletableFuture<Turn> turn = node.cluster().claim(key, WAIT, waiting::countDown);
    assertTrue(waiting.await(10, TimeUnit.SECONDS), "the second node was told to wait");
    return turn;
  }

  /** Waits until the holder's release has left the filled tombstone in Redis. */
  private void awaitTombstone() {
    String leaseKey = ClusterCoalescer.leaseKey(key.uri());
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!"filled".equals(redis.read().apply(leaseKey))) {
      assertTrue(System.nanoTime() < deadline, "the lease was never released as filled");
      LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
    }
  }

  private Turn claim(Node node, Duration maxWait, CountDownLatch waiting) throws Exception {
    return node.cluster().claim(key, maxWait, waiting::countDown).get(15, TimeUnit.SECONDS);
  }

  private CachedResponse entry(String body) {
    return new CachedResponse(200,
        HeaderList.of(List.of(new HeaderList.Field("cache-control", "max-age=3600"))),
        ByteString.copyFrom(body, StandardCharsets.UTF_8), clock.instant(), Duration.ZERO,
        Duration.ofHours(1), Map.of(),
        new ReuseRules(Duration.ZERO, Duration.ZERO, false, false, true));
  }
}
