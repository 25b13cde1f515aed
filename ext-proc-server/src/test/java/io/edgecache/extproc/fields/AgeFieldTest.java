package io.edgecache.extproc.fields;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The Age field of RFC 9111 §5.1: first member of a list, invalid values ignored. */
class AgeFieldTest {

  @ParameterizedTest(name = "Age lines [{0}] -> {1} s")
  @CsvSource(delimiter = '|', value = {
      "60|60",
      "' 60 '|60",
      "'7200, 0'|7200", // §5.1: a list value is read by its first member
      "7200;0|7200", // two Age lines, joined into a list
      "'0, 7200'|0",
      "soon|0", // invalid: ignored, as if absent
      "-5|0",
      "'1.5'|0",
      "', 5'|0", // an empty first member is invalid, not a reason to look further
      "99999999999|2147483648", // delta-seconds overflow is clamped (§1.2.2)
  })
  void readsTheFirstMemberAndIgnoresInvalidValues(String lines, long seconds) {
    List<HeaderList.Field> fields = new ArrayList<>();
    for (String line : lines.split(";")) {
      fields.add(new HeaderList.Field("age", line));
    }
    assertEquals(seconds, AgeField.value(HeaderList.of(fields)).getSeconds());
  }

  @Test
  void absentAgeIsZero() {
    assertEquals(0, AgeField.value(HeaderList.of(List.of())).getSeconds());
  }
}
