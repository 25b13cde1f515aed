package io.edgecache.extproc.body;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ByteRangeTest {

  /** Body of 1000 bytes; "whole" = Range ignored, "416" = unsatisfiable. */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "bytes=0-99      | 0-99",
      "bytes=990-      | 990-999",
      "bytes=990-5000  | 990-999",
      "bytes=-10       | 990-999",
      "bytes=-5000     | 0-999",
      "bytes=1000-     | 416",
      "bytes=-0        | 416",
      "bytes=5-1       | whole",
      "bytes=0-1,5-9   | whole",
      "items=0-1       | whole",
      "bytes=a-b       | whole",
      "bytes=--5       | whole",
      "bytes=-+5       | whole",
      "bytes=+5-9      | whole",
      "BYTES=0-9       | 0-9",
      "bytes=0-1,5000- | 0-1",
  })
  void parses(String header, String expected) {
    Optional<ByteRange> range = ByteRange.parse(header, 1000);
    String actual = range.isEmpty() ? "whole"
        : range.get() == ByteRange.UNSATISFIABLE ? "416"
        : range.get().first() + "-" + range.get().last();
    assertEquals(expected, actual, header);
  }
}
