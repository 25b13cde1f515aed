package io.edgecache.extproc.policy;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.google.protobuf.ByteString;
import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.cache.ReuseRules;
import io.edgecache.extproc.fields.HeaderList;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Choosing a stored Accept-Language variant by the request's preferences (RFC 9111 §4.1). */
class LanguageVariantsTest {

  private static final Instant STORED = Instant.parse("2026-11-21T12:00:00Z");

  @Test
  void picksTheVariantInTheMostPreferredLanguage() {
    CachedResponse en = variant("en", "vary: accept-language", "accept-language: en");
    CachedResponse fr = variant("fr", "vary: accept-language", "accept-language: fr");
    assertSame(fr, pick(List.of(en, fr), "accept-language: fr-CA, fr;q=0.9, en;q=0.5"));
    assertSame(en, pick(List.of(en, fr), "accept-language: en-US, en;q=0.9"));
  }

  @Test
  void aLessPreferredLanguageIsNotServedInPlaceOfTheOrigin() {
    CachedResponse en = variant("en", "vary: accept-language", "accept-language: en");
    assertNull(pick(List.of(en), "accept-language: de, en;q=0.5"));
    assertNull(pick(List.of(en), "accept-language: *"));
    assertNull(pick(List.of(en), "accept-encoding: gzip")); // no preferences at all
  }

  @Test
  void otherVariedFieldsMustStillMatch() {
    CachedResponse mobile = variant("en", "vary: accept-language, x-device",
        "accept-language: en\nx-device: mobile");
    assertNull(pick(List.of(mobile), "accept-language: en-US\nx-device: desktop"));
    assertSame(mobile, pick(List.of(mobile), "accept-language: en-US\nx-device: mobile"));
  }

  @Test
  void aVariantWithoutContentLanguageOrLanguageVaryIsNotChosen() {
    CachedResponse unlabeled = variant(null, "vary: accept-language", "accept-language: en");
    CachedResponse notVaried = variant("en", "vary: x-device", "x-device: a");
    assertNull(pick(List.of(unlabeled, notVaried), "accept-language: en\nx-device: a"));
  }

  private static CachedResponse pick(List<CachedResponse> variants, String requestHeaders) {
    return LanguageVariants.preferred(variants, CachePolicyTest.headers(requestHeaders),
        List.of());
  }

  /** A stored response with {@code contentLanguage}, varied as the request that stored it. */
  private static CachedResponse variant(String contentLanguage, String vary,
      String storingRequest) {
    HeaderList response = CachePolicyTest.headers(vary
        + (contentLanguage == null ? "" : "\ncontent-language: " + contentLanguage));
    return new CachedResponse(200, response, ByteString.EMPTY, STORED, Duration.ZERO,
        Duration.ofMinutes(1), VaryKey.of(response.joined("vary"),
            CachePolicyTest.headers(storingRequest), List.of()), ReuseRules.NONE);
  }
}
