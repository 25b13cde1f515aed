package io.edgecache.extproc.purge;

import io.edgecache.extproc.fields.HeaderList;
import java.util.HashSet;
import java.util.Set;

/**
 * Reads the tags a response was labelled with: the surrogate-key field (space separated, as
 * Fastly and Varnish xkey spell it) and the cache-tag field (comma separated, as Cloudflare
 * spells it). Tags compare exactly.
 */
public final class SurrogateKeys {

  private final String surrogateKeyField;
  private final String cacheTagField;

  public SurrogateKeys(String surrogateKeyField, String cacheTagField) {
    this.surrogateKeyField = surrogateKeyField;
    this.cacheTagField = cacheTagField;
  }

  /** Whether the stored response was labelled with {@code tag}. */
  public boolean carries(HeaderList headers, String tag) {
    return of(headers).contains(tag);
  }

  /** Every tag the response carries. */
  public Set<String> of(HeaderList headers) {
    Set<String> tags = new HashSet<>();
    for (String value : headers.all(surrogateKeyField)) {
      split(value, "\\s+", tags);
    }
    for (String value : headers.all(cacheTagField)) {
      split(value, ",", tags);
    }
    return tags;
  }

  private static void split(String value, String separator, Set<String> into) {
    for (String tag : value.trim().split(separator)) {
      String trimmed = tag.trim();
      if (!trimmed.isEmpty()) {
        into.add(trimmed);
      }
    }
  }
}
