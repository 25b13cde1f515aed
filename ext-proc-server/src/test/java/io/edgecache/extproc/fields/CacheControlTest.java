package io.edgecache.extproc.fields;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The Cache-Control grammar of RFC 9111 §5.2 and RFC 9110 §5.6. */
class CacheControlTest {

  @Test
  void toleratesOddWhitespaceAndEmptyListMembers() {
    CacheControl cc = CacheControl.parse(" ,public ,\t max-age = 60 ,, no-transform ");
    assertTrue(cc.has("public"));
    assertEquals(60L, cc.seconds("max-age"));
    assertTrue(cc.has("no-transform"));
  }

  @Test
  void quotedStringsMayHoldCommasAndEscapes() {
    CacheControl cc = CacheControl.parse("private=\"set-cookie, x-a\\\"b\", max-age=5");
    assertEquals("set-cookie, x-a\"b", cc.argument("private"));
    assertEquals(5L, cc.seconds("max-age"));
  }

  @Test
  void unknownDirectivesAreKeptButHarmless() {
    CacheControl cc = CacheControl.parse("community=\"UCI\", max-age=1");
    assertEquals(1L, cc.seconds("max-age"));
    assertFalse(cc.has("no-store"));
  }

  @Test
  void missingArgumentIsInvalid() {
    assertEquals(CacheControl.INVALID, CacheControl.parse("max-age").seconds("max-age"));
    assertEquals(CacheControl.INVALID, CacheControl.parse("max-age=-1").seconds("max-age"));
  }
}
