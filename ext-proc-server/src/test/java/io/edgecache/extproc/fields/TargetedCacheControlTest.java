package io.edgecache.extproc.fields;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Targeted cache-control fields as RFC 8941 Dictionaries (RFC 9213 §2.1, §2.2). */
class TargetedCacheControlTest {

  @Test
  void directivesBecomeCacheControl() {
    CacheControl cc = TargetedCacheControl.parse("max-age=60, no-store, private=\"set-cookie\"");
    assertEquals(60L, cc.seconds("max-age"));
    assertTrue(cc.has("no-store"));
    assertEquals("set-cookie", cc.argument("private"));
  }

  @Test
  void parametersAreIgnoredAndFalseMeansAbsent() {
    CacheControl cc = TargetedCacheControl.parse("max-age=30;ext=1, no-store=?0, public=?1");
    assertEquals(30L, cc.seconds("max-age"));
    assertFalse(cc.has("no-store"));
    assertTrue(cc.has("public"));
  }

  @Test
  void aValueOfTheWrongTypeIsNotDeltaSeconds() {
    assertEquals(CacheControl.INVALID, TargetedCacheControl.parse("max-age=1.5").seconds("max-age"));
    assertEquals(CacheControl.INVALID, TargetedCacheControl.parse("max-age=-1").seconds("max-age"));
    assertEquals(CacheControl.INVALID,
        TargetedCacheControl.parse("max-age=(1 2)").seconds("max-age"));
  }

  @Test
  void aRepeatedKeyTakesItsLastValue_8941_3_2() {
    assertEquals(20L, TargetedCacheControl.parse("max-age=10, max-age=20").seconds("max-age"));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "", // empty: ignored (RFC 9213 §2.2)
      "  ",
      "Max-Age=60", // keys are lower case in RFC 8941
      "max-age=60 no-store", // members need a comma
      "max-age=60,", // trailing comma
      "max-age=\"60", // unterminated string
      "max-age=60, no-store, ", // trailing comma after whitespace
      "max-age=6O", // not an integer, not a token start
      "max-age=60;", // a parameter without a key
  })
  void aValueThatIsNotADictionaryIsIgnoredAsAWhole(String value) {
    assertNull(TargetedCacheControl.parse(value), "'" + value + "' should be ignored");
  }

  @Test
  void absentIsNull() {
    assertNull(TargetedCacheControl.parse(null));
  }
}
