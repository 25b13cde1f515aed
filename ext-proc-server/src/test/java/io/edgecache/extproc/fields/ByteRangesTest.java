package io.edgecache.extproc.fields;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Content-Range of a single-part 206 (RFC 9110 §14.4). */
class ByteRangesTest {

  @Test
  void readsThePartAndTheCompleteLength() {
    assertEquals(new ByteRanges.Part(2, 5, 20), ByteRanges.part("bytes 2-5/20"));
    assertEquals(new ByteRanges.Part(0, 19, 20), ByteRanges.part(" BYTES 0-19/20 "));
  }

  @ParameterizedTest
  @ValueSource(strings = {"bytes 2-5/*", "bytes */20", "bytes 5-2/20", "bytes 2-20/20",
      "items 2-5/20", "bytes 2-/20", "bytes -5/20", "bytes x-5/20", ""})
  void rejectsWhatIsNotOneKnownPart(String value) {
    assertNull(ByteRanges.part(value));
  }
}
