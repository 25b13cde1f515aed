package io.edgecache.extproc.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.protobuf.ByteString;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Incomplete responses stored (RFC 9111 §3.3) and combined (§3.4). */
class PartialStoreTest {

  private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");
  private static final String BODY = "0123456789abcdefghij";
  private static final CacheKey KEY = CacheKey.of("http", "example.com", "/a");

  private final ManualClock clock = new ManualClock(NOW);
  private final PartialStore store = new PartialStore(1 << 20, clock);

  @Test
  void servesRangesWithinAHeldPartOnly_3_3() {
    assertNull(add("\"v1\"", 2, 5));
    PartialStore.Partial partial = store.find(KEY, entry -> true);
    assertEquals("34", partial.slice(3, 4).toStringUtf8());
    assertEquals("2345", partial.slice(2, 5).toStringUtf8());
    assertNull(partial.slice(1, 3));
    assertNull(partial.slice(5, 6));
  }

  @Test
  void partsOfOneRepresentationCombineIntoTheCompleteResponse_3_4() {
    assertNull(add("\"v1\"", 10, 19));
    assertNull(add("\"v1\"", 0, 4));
    assertNull(add("\"v1\"", 3, 7)); // overlapping
    assertNull(store.find(KEY, e -> true).slice(0, 9), "8-9 still missing");
    assertEquals("01234567", store.find(KEY, e -> true).slice(0, 7).toStringUtf8());
    CachedResponse complete = add("\"v1\"", 8, 9); // adjacent on both sides
    assertNotNull(complete);
    assertEquals(200, complete.status());
    assertEquals(BODY, complete.body().toStringUtf8());
    assertEquals(20, complete.bodyLength());
    assertNull(store.find(KEY, e -> true), "parts are dropped once combined");
  }

  @Test
  void anotherStrongValidatorReplacesTheHeldParts_3_4() {
    add("\"v1\"", 0, 9);
    assertNull(add("\"v2\"", 10, 19));
    PartialStore.Partial partial = store.find(KEY, e -> true);
    assertNull(partial.slice(0, 9));
    assertEquals("abcdefghij", partial.slice(10, 19).toStringUtf8());
  }

  @Test
  void weakOrMissingValidatorsNeverCombine_3_4() {
    add("W/\"v1\"", 0, 9);
    assertNull(add("W/\"v1\"", 10, 19));
    add(null, 0, 9);
    assertNull(add(null, 10, 19));
  }

  @Test
  void partsExpireWithTheirFreshness() {
    add("\"v1\"", 0, 9);
    clock.advance(Duration.ofSeconds(61));
    assertNull(store.find(KEY, e -> true));
  }

  @Test
  void invalidationDropsTheParts() {
    add("\"v1\"", 0, 9);
    store.invalidate(KEY);
    assertNull(store.find(KEY, e -> true));
    add("\"v1\"", 0, 9);
    store.invalidateAll();
    assertNull(store.find(KEY, e -> true));
  }

  private CachedResponse add(String etag, int first, int last) {
    HeaderList headers = HeaderList.of(etag == null
        ? List.of(new HeaderList.Field("cache-control", "max-age=60"))
        : List.of(new HeaderList.Field("cache-control", "max-age=60"),
            new HeaderList.Field("etag", etag)));
    CachedResponse head = new CachedResponse(200, headers, ByteString.EMPTY, clock.instant(),
        Duration.ZERO, Duration.ofSeconds(60), Map.of(), ReuseRules.NONE, BODY.length());
    return store.add(KEY, head, first, ByteString.copyFromUtf8(BODY.substring(first, last + 1)));
  }
}
