package io.edgecache.extproc.grpc;

import com.google.protobuf.ByteString;
import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.cache.PartialStore;
import io.edgecache.extproc.cache.RecordingBudget;
import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.fields.ByteRanges;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.policy.ServePolicy;
import io.edgecache.extproc.policy.StoreVerdict;
import io.edgecache.extproc.policy.VaryKey;
import io.edgecache.extproc.store.TieredStore;
import io.edgecache.extproc.telemetry.Outcome;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Records a storable response's body as it streams past and commits it at its end: as a
 * complete entry, or as a part of an incomplete one (RFC 9111 §3.3). A body that outgrows its
 * limits, or whose length contradicts Content-Length, is dropped and nothing is stored.
 */
final class ResponseRecorder {

  private static final Logger log = Logger.getLogger(ResponseRecorder.class.getName());

  /** Body bytes a disk spool may hold in memory while the disk catches up. */
  private static final long MAX_SPOOL_PENDING_BYTES = 32L << 20;

  private final ExchangeState state;
  private final Fill fill;
  /** The size limits. */
  private final ServerConfig config;
  private final TieredStore tiers;
  /** Where a recorded part joins the parts held of its representation. */
  private final PartialStore partials;
  /** The memory this node's recordings share. */
  private final RecordingBudget budget;

  // Set while a response body is being recorded.
  private BodyRecorder body;
  private int status;
  private StoreVerdict verdict;
  private HeaderList headers;
  /** The part a 206 being recorded holds, or null for a complete response. */
  private ByteRanges.Part part;
  /** The response's Content-Length, or -1 when it has none (chunked, or unusable). */
  private long declaredLength;
  private Instant responseTime;

  ResponseRecorder(ExchangeState state, Fill fill, ServerConfig config, TieredStore tiers,
      PartialStore partials, RecordingBudget budget) {
    this.state = state;
    this.fill = fill;
    this.config = config;
    this.tiers = tiers;
    this.partials = partials;
    this.budget = budget;
  }

  /**
   * The part a 206 holds when it may be kept as an incomplete response: a client's GET, one
   * part of a representation of known length that fits in memory; else null.
   */
  ByteRanges.Part storablePart(HeaderList partial) {
    if (!state.request.method().equals("GET") || state.request.backgroundRefresh()) {
      return null;
    }
    ByteRanges.Part candidate = ByteRanges.part(partial.first("content-range"));
    long inMemory = Math.min(Integer.MAX_VALUE, memoryLimit()); // parts are ByteStrings
    return candidate != null && candidate.completeLength() <= inMemory ? candidate : null;
  }

  private long memoryLimit() {
    return ServePolicy.memoryLimit(tiers.streamsLargeBodies(), tiers.largeObjectBytes(),
        config.maxObjectBytes(state.route));
  }

  /** Starts recording the response {@code verdict} found storable, up to {@code maxBytes}. */
  void start(int status, HeaderList headers, ByteRanges.Part part, StoreVerdict verdict,
      long declaredLength, Instant responseTime, long maxBytes) {
    this.status = status;
    this.headers = headers;
    this.part = part;
    this.verdict = verdict;
    this.declaredLength = declaredLength;
    this.responseTime = responseTime;
    this.body = new BodyRecorder(maxBytes, memoryLimit(),
        () -> tiers.spool(MAX_SPOOL_PENDING_BYTES), budget);
  }

  /** Records a body chunk, if recording; commits at the body's end. */
  void append(HttpBody message) {
    if (body != null) {
      BodyRecorder.Appended appended = body.append(message.getBody());
      if (appended != BodyRecorder.Appended.KEPT) {
        body = null; // the rest passes unrecorded
        // Too large is the response's nature (hit-for-pass); no room is this moment's.
        fill.land(null, appended == BodyRecorder.Appended.OVER_LIMIT);
      }
    }
    if (message.getEndOfStream() && body != null) {
      commit();
    }
  }

  /** Discards a recording in progress (the stream was reset). */
  void drop() {
    if (body != null) {
      body.drop();
      body = null;
    }
  }

  /** The whole body is in: stores it, when its length is the one announced. */
  void commit() {
    BodyRecorder recorded = body;
    body = null;
    state.moveTo(ExchangeStep.DONE);
    if (declaredLength >= 0 && declaredLength != recorded.length()) {
      log.log(Level.FINE, "not storing {0}: body {1} bytes, content-length {2}",
          new Object[] {state.request.key(), recorded.length(), declaredLength});
      recorded.drop();
      fill.land(null, false);
      return;
    }
    if (part != null) {
      commitPart(recorded);
      return;
    }
    CachedResponse entry = new CachedResponse(status, verdict.storedHeaders(), recorded.body(),
        responseTime, verdict.correctedInitialAge(), verdict.freshnessLifetime(),
        varyValues(), verdict.rules(), recorded.length());
    recorded.handedOver(); // the store's memory tier accounts for it from here
    CompletableFuture<Boolean> written = recorded.spooled()
        ? tiers.storeSpooled(state.request.key(), entry, recorded.spool())
        : tiers.store(state.request.key(), entry);
    state.tally.settle(Outcome.MISS, status, recorded.length(), entry.ttlSeconds(responseTime),
        true);
    fill.landStored(entry, written);
  }

  /**
   * Keeps a recorded 206 with the parts already held of its representation (RFC 9111 §3.4);
   * when they now make it complete, that is stored as any complete response is.
   */
  private void commitPart(BodyRecorder recorded) {
    if (recorded.spooled() || recorded.length() != part.last() - part.first() + 1) {
      recorded.drop(); // not the part Content-Range announced
      fill.land(null, false);
      return;
    }
    CachedResponse head = new CachedResponse(200, verdict.storedHeaders(),
        ByteString.EMPTY, responseTime, verdict.correctedInitialAge(),
        verdict.freshnessLifetime(), varyValues(), verdict.rules(), part.completeLength());
    CachedResponse complete =
        partials.add(state.request.key(), head, part.first(), recorded.body());
    recorded.handedOver();
    state.tally.settle(Outcome.MISS, status, recorded.length(), head.ttlSeconds(responseTime),
        true);
    if (complete != null) {
      fill.landStored(complete, tiers.store(state.request.key(), complete));
    } else {
      fill.land(null, false);
    }
  }

  /** The secondary key of the response being recorded. */
  private Map<String, String> varyValues() {
    return VaryKey.of(headers.joined("vary"), state.request.headers(),
        state.route.normalizeHeaders());
  }
}
