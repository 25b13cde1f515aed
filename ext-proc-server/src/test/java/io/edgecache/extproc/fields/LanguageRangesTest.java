package io.edgecache.extproc.fields;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Accept-Language (RFC 9110 §12.5.4) ranges and qvalues, RFC 4647 matching. */
class LanguageRangesTest {

  @ParameterizedTest(name = "[{0}] -> [{1}]")
  @CsvSource(delimiter = '|', value = {
      "en|en",
      "EN-us|en-us", // tags are case-insensitive
      "'fr;q=0.5, en'|'en,fr;q=0.5'", // ordered by preference
      "'en, de'|'de,en'", // equal qvalues: order carries no meaning
      "'fr;q=0.50, en;q=1.0, de;Q=0.125'|'en,fr;q=0.5,de;q=0.125'",
      "'en, fr;q=0, de;q=0.000'|en", // refused ranges are left out
      "'en, , de'|'de,en'", // empty list members are allowed
      "'*;q=0.1, en'|'en,*;q=0.1'",
  })
  void normalisesCaseAndOrder(String value, String normalised) {
    assertEquals(normalised, LanguageRanges.parse(value).normalised());
  }

  @ParameterizedTest
  @ValueSource(strings = {"en;q=2", "en;q=0.1234", "en;level=1", "e n", "123", "en-", "x;q=1;a=b",
      "toolongtag", "en_US"})
  void rejectsWhatIsNotAnAcceptLanguageValue(String value) {
    assertNull(LanguageRanges.parse(value));
  }

  @ParameterizedTest(name = "[{0}] accepts {1} at q={2}")
  @CsvSource(delimiter = '|', value = {
      "'en-us, en;q=0.9'|en-US|1000",
      "'en-us, en;q=0.9'|en|1000", // lookup truncation: en-us falls back to en (RFC 4647 §3.4)
      "'en;q=0.5, en-us'|en|1000", // lookup from the preferred en-us reaches en
      "'en, en-gb;q=0.1'|en-GB|100", // the most specific range counts: en-GB is disliked
      "'en;q=0.9'|en-GB|900", // basic filtering: en matches en-GB (RFC 4647 §3.3.1)
      "'en-gb;q=0.8, en;q=0.3'|en-GB-oed|800", // the most specific matching range counts
      "'fr, en;q=0.5'|de|0",
      "'*'|de|0", // a wildcard says nothing about preference
  })
  void weighsALanguageTag(String accept, String tag, int q) {
    assertEquals(q, LanguageRanges.parse(accept).qFor(tag));
  }

  @Test
  void topQIgnoresTheWildcard() {
    assertEquals(500, LanguageRanges.parse("*, fr;q=0.5").topQ());
    assertEquals(0, LanguageRanges.parse("*").topQ());
  }
}
