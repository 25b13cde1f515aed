package io.edgecache.extproc.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import io.edgecache.extproc.cache.L1Store;
import io.edgecache.extproc.cache.RecordingBudget;
import io.edgecache.extproc.config.TiersConfig;
import io.edgecache.extproc.store.TieredStore;
import io.edgecache.extproc.testing.ManualClock;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Why a body could not be recorded decides what the key becomes: a body too large for this node
 * is the response's nature (hit-for-pass: later requests skip collapsing), while a disk spool
 * that fell behind is the moment's, and must not turn a large object uncacheable for passTtl.
 * The spool is a real one of a disk tier, allowed a few bytes behind so the second chunk finds
 * it behind whatever the disk does.
 */
class BodyRecorderTest {

  @TempDir Path dir;
  private final ManualClock clock = new ManualClock(Instant.parse("2026-12-03T10:00:00Z"));
  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
  private final RecordingBudget budget = new RecordingBudget(1 << 20);
  private TieredStore tiers;

  @BeforeEach
  void open() throws Exception {
    TiersConfig d = TiersConfig.defaults();
    // A body endpoint's address is what makes the store spool large bodies to disk (nothing binds it).
    TiersConfig streaming = new TiersConfig(d.largeObjectBytes(), d.writeQueueCapacity(),
        d.writeQueueBytes(), d.breakerFailures(), d.breakerCoolDown(), d.lookupWait(),
        new InetSocketAddress("127.0.0.1", 1), null,
        new TiersConfig.Disk(true, dir, 1L << 30, Duration.ofSeconds(2)), d.redis(), d.s3());
    tiers = TieredStore.open(streaming, new L1Store(1 << 20, Duration.ofHours(1), clock), clock,
        timers);
  }

  @AfterEach
  void close() {
    tiers.close();
    timers.shutdownNow();
  }

  @Test
  void aBodyBeyondItsLimitIsTheResponsesNature() {
    BodyRecorder recorder = new BodyRecorder(8, 4, () -> tiers.spool(1 << 20), budget);
    assertEquals(BodyRecorder.Appended.KEPT, recorder.append(bytes(4)));
    assertEquals(BodyRecorder.Appended.OVER_LIMIT, recorder.append(bytes(5)));
  }

  @Test
  void aBodyBeyondMemoryWithNoDiskToSpoolToIsTheResponsesNature() {
    BodyRecorder recorder = new BodyRecorder(1 << 20, 4, () -> null, budget);
    assertEquals(BodyRecorder.Appended.OVER_LIMIT, recorder.append(bytes(5)));
  }

  @Test
  void aDiskSpoolThatFellBehindIsTheMomentsNotTheResponses() {
    BodyRecorder recorder = new BodyRecorder(1 << 20, 4, () -> tiers.spool(8), budget);
    assertEquals(BodyRecorder.Appended.KEPT, recorder.append(bytes(4)));
    assertEquals(BodyRecorder.Appended.NO_ROOM, recorder.append(bytes(64)));
    assertEquals(0, budget.heldBytes(), "the dropped recording holds no memory");
    assertEquals(1, tiers.stats("disk").orElseThrow().shedWrites(), "counted where /stats shows it");
  }

  private static ByteString bytes(int n) {
    return ByteString.copyFrom(new byte[n]);
  }
}
