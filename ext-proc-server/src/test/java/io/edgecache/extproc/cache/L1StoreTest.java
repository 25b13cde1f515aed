package io.edgecache.extproc.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.protobuf.ByteString;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class L1StoreTest {

  private static final Instant NOW = Instant.parse("2026-01-02T03:04:05Z");
  private static final CacheKey KEY = CacheKey.of("http", "l1.test", "/far");

  @Test
  void anEntryFreshForMillenniaIsStoredAndKept() {
    ManualClock clock = new ManualClock(NOW);
    L1Store store = new L1Store(1 << 20, Duration.ofHours(1), clock);
    // Expires: Fri, 31 Dec 9999 with a validator and stale windows: every allowance on top.
    CachedResponse entry = new CachedResponse(200,
        HeaderList.of(List.of(new HeaderList.Field("etag", "\"1\""))),
        ByteString.copyFromUtf8("body"), NOW, Duration.ZERO,
        Duration.between(NOW, Instant.parse("9999-12-31T23:59:59Z")), Map.of(),
        new ReuseRules(Duration.ofDays(1), Duration.ofDays(1), false, false, false));
    store.put(KEY, entry);
    clock.advance(Duration.ofDays(365L * 100));
    assertEquals(entry, store.get(KEY));
    store.invalidate(KEY);
    assertNull(store.get(KEY));
  }
}
