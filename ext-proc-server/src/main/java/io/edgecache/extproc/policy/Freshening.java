package io.edgecache.extproc.policy;

import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.fields.HopByHop;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Updating a stored response's header fields from a 304 (RFC 9111 §4.3.4) or a HEAD response
 * (§4.3.5), per §3.2: fields in the new response replace the stored ones of the same name,
 * except those that describe the new message rather than the stored representation.
 */
public final class Freshening {

  /** Fields a 304 or HEAD response never overwrites in the stored response. */
  private static final Set<String> KEPT =
      Set.of("content-length", "content-encoding", "content-range", "age", "set-cookie",
          CacheStatus.FIELD);

  private Freshening() {}

  /** Fields a HEAD response may update besides the targeted cache-control fields. */
  private static final Set<String> HEAD_UPDATES =
      Set.of("cache-control", "expires", "date", "etag", "last-modified");

  /** The stored fields updated with those of {@code update}. */
  public static HeaderList merge(HeaderList stored, HeaderList update) {
    return merge(stored, update, name -> !KEPT.contains(name));
  }

  /**
   * The stored fields updated from a HEAD response: only freshness and validator fields
   * (Cache-Control, Expires, Date, ETag, Last-Modified and {@code targetedFields}), never
   * representation metadata such as Content-Type, Content-Encoding or Link, which a HEAD could
   * otherwise rewrite for every client of the stored GET.
   */
  public static HeaderList mergeFromHead(HeaderList stored, HeaderList head,
      List<String> targetedFields) {
    return merge(stored, head,
        name -> HEAD_UPDATES.contains(name) || targetedFields.contains(name));
  }

  private static HeaderList merge(HeaderList stored, HeaderList update,
      Predicate<String> updatable) {
    Set<String> hopByHop = HopByHop.fieldsToDrop(update);
    Set<String> replaced = new HashSet<>();
    List<HeaderList.Field> incoming = new ArrayList<>();
    for (HeaderList.Field field : update.fields()) {
      String name = field.name();
      if (!name.startsWith(":") && !hopByHop.contains(name) && updatable.test(name)) {
        replaced.add(name);
        incoming.add(field);
      }
    }
    List<HeaderList.Field> merged = new ArrayList<>();
    for (HeaderList.Field field : stored.fields()) {
      if (!replaced.contains(field.name())) {
        merged.add(field);
      }
    }
    merged.addAll(incoming);
    return HeaderList.of(merged);
  }

  /**
   * {@code stored} freshened by {@code update} (a 304 or HEAD response requested at
   * {@code requestTime}, received at {@code responseTime}), as {@code verdict} on the merged
   * fields decided: its stored fields, lifetime and reuse rules, aged from the update.
   */
  public static CachedResponse freshened(CachedResponse stored, StoreVerdict verdict,
      HeaderList update, Instant requestTime, Instant responseTime) {
    return new CachedResponse(stored.status(), verdict.storedHeaders(), stored.body(),
        responseTime, Freshness.correctedInitialAge(update, requestTime, responseTime),
        verdict.freshnessLifetime(), stored.varyValues(), verdict.rules());
  }

  /**
   * Whether a HEAD response may freshen {@code stored} (RFC 9111 §4.3.5): it carries a
   * validator and every validator it carries matches the stored one. Without a validator
   * nothing ties the HEAD to the stored representation.
   */
  public static boolean headMayFreshen(CachedResponse stored, HeaderList head) {
    return (head.contains("etag") || head.contains("last-modified"))
        && headMatches(stored, head);
  }

  /**
   * Whether a HEAD response describes the same representation as {@code stored} (RFC 9111
   * §4.3.5): its validators and length, where present, agree.
   */
  public static boolean headMatches(CachedResponse stored, HeaderList head) {
    String etag = head.first("etag");
    if (etag != null && !Objects.equals(etag, stored.headers().first("etag"))) {
      return false;
    }
    String lastModified = head.first("last-modified");
    if (lastModified != null
        && !Objects.equals(lastModified, stored.headers().first("last-modified"))) {
      return false;
    }
    String length = head.first("content-length");
    return length == null || length.trim().equals(Long.toString(stored.bodyLength()));
  }
}
