package io.edgecache.extproc.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.cache.CachedResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class EntryCodecTest {

  private static final String KEY = "http://example.test/a?b=c";
  private final CachedResponse entry =
      StoreFixtures.entry(Instant.parse("2026-01-01T00:00:00.123456789Z"), 4096, 1);

  @Test
  void roundTripsEveryField() throws Exception {
    byte[] bytes = EntryCodec.encode(KEY, entry);
    StoreFixtures.assertSameEntry(entry, EntryCodec.decode(bytes, KEY));
  }

  @Test
  void streamedWriteEqualsWholeEncoding() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    EntryCodec.write(out, EntryHead.of(KEY, entry), entry.body().newInput());
    assertArrayEquals(EntryCodec.encode(KEY, entry), out.toByteArray());
  }

  @Test
  void streamedBodyOfTheWrongLengthIsRefused() {
    EntryHead head = EntryHead.of(KEY, entry);
    assertThrows(IOException.class, () -> EntryCodec.write(new ByteArrayOutputStream(), head,
        new ByteArrayInputStream(new byte[10])));
  }

  @Test
  void everyTruncationIsDetected() {
    byte[] bytes = EntryCodec.encode(KEY, entry);
    for (int length = 0; length < bytes.length; length += 97) {
      byte[] cut = Arrays.copyOf(bytes, length);
      CorruptEntryException e =
          assertThrows(CorruptEntryException.class, () -> EntryCodec.decode(cut, KEY));
      assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("not an entry")
          || e.getMessage().contains("out of range"), e.getMessage());
    }
  }

  @Test
  void aFlippedBitAnywhereIsDetected() {
    byte[] bytes = EntryCodec.encode(KEY, entry);
    for (int i = 0; i < bytes.length; i += 13) {
      byte[] bad = bytes.clone();
      bad[i] ^= 0x10;
      assertThrows(CorruptEntryException.class, () -> EntryCodec.decode(bad, KEY), "byte " + i);
    }
  }

  @Test
  void anEntryUnderAnotherKeyIsRefused() {
    byte[] bytes = EntryCodec.encode(KEY, entry);
    CorruptEntryException e = assertThrows(CorruptEntryException.class,
        () -> EntryCodec.decode(bytes, "http://example.test/other"));
    assertTrue(e.getMessage().contains("expected http://example.test/other"), e.getMessage());
  }
}
