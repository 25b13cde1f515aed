package io.edgecache.extproc.policy;

import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.fields.LanguageRanges;
import java.util.List;

/**
 * Chooses a stored variant that varies on Accept-Language by the request's language
 * preferences when none matches its secondary key exactly (RFC 9111 §4.1 lets a field's own
 * negotiation mechanism choose among stored responses; RFC 9110 §12.5.4). Only a variant whose
 * Content-Language is among the request's most preferred languages is chosen, so a client is
 * never given a language it likes less than one the origin might have: then the request goes
 * to the origin as before. Every other field the variant varies on must still match.
 */
public final class LanguageVariants {

  static final String ACCEPT_LANGUAGE = "accept-language";

  private LanguageVariants() {}

  /** The newest of {@code variants} in a language the request prefers most, or null. */
  public static CachedResponse preferred(List<CachedResponse> variants, HeaderList request,
      List<String> normalizeHeaders) {
    String accept = request.joined(ACCEPT_LANGUAGE);
    LanguageRanges ranges = accept == null ? null : LanguageRanges.parse(accept);
    if (ranges == null || ranges.topQ() == 0) {
      return null;
    }
    for (CachedResponse variant : variants) {
      if (variant.varyValues().containsKey(ACCEPT_LANGUAGE)
          && VaryKey.matchesExcept(variant.varyValues(), request, normalizeHeaders,
              ACCEPT_LANGUAGE)
          && bestQ(ranges, variant.joinedHeader("content-language")) == ranges.topQ()) {
        return variant;
      }
    }
    return null;
  }

  /** The best qvalue the request gives any of a response's languages; 0 when it has none. */
  private static int bestQ(LanguageRanges ranges, String contentLanguage) {
    if (contentLanguage == null) {
      return 0;
    }
    int best = 0;
    for (String tag : contentLanguage.split(",")) {
      if (!tag.isBlank()) {
        best = Math.max(best, ranges.qFor(tag));
      }
    }
    return best;
  }
}
