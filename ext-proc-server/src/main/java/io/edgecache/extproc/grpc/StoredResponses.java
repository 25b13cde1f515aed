package io.edgecache.extproc.grpc;

import com.google.protobuf.ByteString;
import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.cache.WireHeaders;
import io.edgecache.extproc.fields.ByteRanges;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.fields.Preconditions;
import io.edgecache.extproc.policy.CacheStatus;
import io.edgecache.extproc.policy.RequestFacts;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Builds the immediate responses a cache answers from a stored response (RFC 9111 §4): the
 * full response, 304 for a client's satisfied precondition, 206/416 for ranges, and 504 for
 * {@code only-if-cached} with nothing usable.
 */
final class StoredResponses {

  /** Fields a 304 carries from the stored response (RFC 9110 §15.4.5). */
  private static final Set<String> NOT_MODIFIED_FIELDS =
      Set.of("cache-control", "content-location", "date", "etag", "expires", "vary");

  private static final String BOUNDARY = "edgecache-byteranges-5e1f2a";

  private StoredResponses() {}

  /**
   * The answer to {@code request} from {@code entry}, with {@code status} as our member. A HEAD
   * request gets the stored body too: Envoy's local reply sets Content-Length from the body and
   * sends none of it to a HEAD request ({@code Utility::prepareLocalReply},
   * {@code encodeLocalReply}), so the HEAD hit keeps the length a GET would have.
   */
  static Outbound answer(
      CachedResponse entry, RequestFacts request, Instant now, CacheStatus status) {
    ByteString headerLines = entry.headerLines();
    if (headerLines != null && !request.isConditional() && !request.headers().contains("range")) {
      return prebuilt(entry, headerLines, now, status);
    }
    return new Outbound.Message(built(entry, request, now, status));
  }

  /** The answer built field by field: 304, 206/416 or the full response. */
  private static ProcessingResponse built(
      CachedResponse entry, RequestFacts request, Instant now, CacheStatus status) {
    ProcessingResponse notModified = notModified(entry, request, now, status);
    if (notModified != null) {
      return notModified;
    }
    String range = request.headers().first("range");
    if (range != null && request.method().equals("GET") && entry.status() == 200
        && Preconditions.ifRangeHolds(request.headers(), entry.headers())) {
      List<ByteRanges.Range> ranges = ByteRanges.parse(range, entry.body().size());
      if (ranges != null) {
        return partial(entry, ranges, now, status);
      }
    }
    return respond(entry.status(), withoutStatusField(entry.headers()), entry, now, status,
        entry.body());
  }

  /** 304 when the request's precondition holds for {@code entry}, else null. */
  private static ProcessingResponse notModified(
      CachedResponse entry, RequestFacts request, Instant now, CacheStatus status) {
    if (!Preconditions.notModified(request.headers(), entry.headers())) {
      return null;
    }
    List<HeaderList.Field> fields = new ArrayList<>();
    for (HeaderList.Field field : entry.headers().fields()) {
      if (NOT_MODIFIED_FIELDS.contains(field.name())) {
        fields.add(field);
      }
    }
    return respond(304, fields, entry, now, status, ByteString.EMPTY);
  }

  /**
   * The answer to {@code request} from a large entry whose body is not in memory, when it
   * needs no body: 304 for a satisfied precondition, or the head of a HEAD request. Empty when
   * the body must be streamed. Such a HEAD answer has an empty body, so behind Envoy it has no
   * Content-Length (nor Content-Type): {@code Utility::prepareLocalReply} removes both from an
   * empty local reply. A documented loss for objects too large to hold in memory.
   */
  static Optional<ProcessingResponse> answerWithoutBody(
      CachedResponse entry, RequestFacts request, Instant now, CacheStatus status) {
    ProcessingResponse notModified = notModified(entry, request, now, status);
    if (notModified != null || !request.isHead()) {
      return Optional.ofNullable(notModified);
    }
    return Optional.of(respond(entry.status(), withoutStatusField(entry.headers()), entry, now,
        status, ByteString.EMPTY));
  }

  /** 504 for {@code only-if-cached} when nothing stored may be used (RFC 9111 §5.2.1.7). */
  static ProcessingResponse gatewayTimeout(CacheStatus status) {
    List<HeaderList.Field> fields = List.of(
        new HeaderList.Field("content-type", "text/plain"),
        new HeaderList.Field("cache-control", "no-store"),
        new HeaderList.Field(CacheStatus.FIELD, status.appendTo(null)));
    return ExchangeMessages.immediate(504, HeaderList.of(fields),
        ByteString.copyFromUtf8("504 Gateway Timeout: only-if-cached and nothing usable stored\n"),
        "edgecache_only_if_cached");
  }

  private static ProcessingResponse partial(CachedResponse entry, List<ByteRanges.Range> ranges,
      Instant now, CacheStatus status) {
    HeaderList stored = entry.headers();
    long length = entry.body().size();
    if (ranges.isEmpty()) {
      List<HeaderList.Field> unsatisfiable = new ArrayList<>();
      unsatisfiable.add(new HeaderList.Field("content-range", "bytes */" + length));
      return respond(416, unsatisfiable, entry, now, status, ByteString.EMPTY);
    }
    if (ranges.size() == 1) {
      ByteRanges.Range only = ranges.get(0);
      return partialContent(entry, only, slice(entry.body(), only), now, status);
    }
    List<HeaderList.Field> fields = withoutStatusField(stored);
    String contentType = stored.first("content-type");
    fields.removeIf(field -> field.name().equals("content-type"));
    fields.add(new HeaderList.Field("content-type",
        "multipart/byteranges; boundary=" + BOUNDARY));
    ByteString body = ByteString.EMPTY;
    for (ByteRanges.Range range : ranges) {
      String partHead = "--" + BOUNDARY + "\r\n"
          + (contentType == null ? "" : "content-type: " + contentType + "\r\n")
          + "content-range: " + contentRange(range, length) + "\r\n\r\n";
      body = body.concat(ByteString.copyFrom(partHead, StandardCharsets.ISO_8859_1))
          .concat(slice(entry.body(), range))
          .concat(ByteString.copyFromUtf8("\r\n"));
    }
    body = body.concat(ByteString.copyFromUtf8("--" + BOUNDARY + "--\r\n"));
    return respond(206, fields, entry, now, status, body);
  }

  /**
   * 206 with the bytes {@code part} of {@code range} of the representation {@code entry}
   * describes (its body may be incomplete: RFC 9111 §3.3).
   */
  static ProcessingResponse partialContent(CachedResponse entry, ByteRanges.Range range,
      ByteString part, Instant now, CacheStatus status) {
    List<HeaderList.Field> fields = withoutStatusField(entry.headers());
    fields.add(new HeaderList.Field("content-range", contentRange(range, entry.bodyLength())));
    return respond(206, fields, entry, now, status, part);
  }

  /**
   * An immediate response of {@code body}. It carries no Content-Length: Envoy's local reply
   * sets it from the body ({@code Utility::prepareLocalReply}).
   */
  private static ProcessingResponse respond(int code, List<HeaderList.Field> fields,
      CachedResponse entry, Instant now, CacheStatus status, ByteString body) {
    fields.add(new HeaderList.Field("age", Long.toString(entry.currentAge(now).getSeconds())));
    fields.add(new HeaderList.Field(
        CacheStatus.FIELD, status.appendTo(entry.joinedHeader(CacheStatus.FIELD))));
    return ExchangeMessages.immediate(code, HeaderList.of(fields), body, "edgecache_hit");
  }

  /**
   * The full answer from the lines {@code entry} stored ready to send, plus the two that change
   * per hit, Age and Cache-Status. The answer is what {@link #respond} builds for the same
   * entry; it only skips rebuilding and rechecking each stored line, and is written from the
   * stored bytes ({@link HitWire}).
   */
  private static HitWire prebuilt(CachedResponse entry, ByteString headerLines,
      Instant now, CacheStatus status) {
    ByteString perHit = WireHeaders.twoLines(
        "age", Long.toString(entry.currentAge(now).getSeconds()),
        CacheStatus.FIELD, status.appendTo(null));
    return HitWire.of(entry.status(), headerLines, perHit, entry.body());
  }

  /** The stored fields minus Cache-Status, which is rewritten with this cache's member. */
  private static List<HeaderList.Field> withoutStatusField(HeaderList stored) {
    List<HeaderList.Field> fields = new ArrayList<>(stored.fields().size() + 4);
    for (HeaderList.Field field : stored.fields()) {
      if (!field.name().equals(CacheStatus.FIELD)) {
        fields.add(field);
      }
    }
    return fields;
  }

  private static String contentRange(ByteRanges.Range range, long length) {
    return "bytes " + range.first() + "-" + range.last() + "/" + length;
  }

  private static ByteString slice(ByteString body, ByteRanges.Range range) {
    return body.substring((int) range.first(), (int) range.last() + 1);
  }
}
