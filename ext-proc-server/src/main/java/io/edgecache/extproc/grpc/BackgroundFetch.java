package io.edgecache.extproc.grpc;

import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.fields.ByteRanges;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.policy.CachePolicy;
import io.edgecache.extproc.policy.RequestFacts;
import io.edgecache.extproc.policy.VaryKey;
import io.edgecache.extproc.refresh.BackgroundRefresher;
import io.opentelemetry.api.trace.Span;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Fetches of the request's target that the client does not wait for: the refresh of an entry
 * served stale-while-revalidate, and the whole representation after a range request missed.
 */
final class BackgroundFetch {

  private final ExchangeState state;
  /** {@link BackgroundRefresher#NONE} when no refresh URL is configured. */
  private final BackgroundRefresher refresher;
  /** The size limit. */
  private final ServerConfig config;
  private final CachePolicy policy;

  BackgroundFetch(ExchangeState state, BackgroundRefresher refresher, ServerConfig config,
      CachePolicy policy) {
    this.state = state;
    this.refresher = refresher;
    this.config = config;
    this.policy = policy;
  }

  /** Whether background fetches can be started at all. */
  boolean enabled() {
    return refresher.enabled();
  }

  /** Whether {@code marker} is the node's own refresh marker: the request is a refresh. */
  boolean isOurs(String marker) {
    return refresher.isOurs(marker);
  }

  /**
   * Fetches the request's target in the background, traced as a child of this exchange;
   * {@code varyFields} are the fields the response to store varies on, sent with the route's
   * key fields so the right variant fills. Only when {@link #enabled}.
   */
  void refresh(Collection<String> varyFields) {
    Span span = state.trace.child("edgecache.refresh");
    Map<String, String> context = new HashMap<>();
    state.trace.injectFrom(span, context::put);
    Set<String> selecting = new HashSet<>(varyFields);
    selecting.addAll(state.route.keyHeaders());
    if (!refresher.refresh(state.request.key().uri(), state.request.headers(),
        selecting, context, span::end)) {
      span.end(); // one is already running for this key
    }
  }

  /**
   * A range request missed and the origin answered 206: the whole representation is fetched in
   * the background, as a CDN edge does, so later ranges are hits. Only when a 200 with these
   * headers would be stored and its length (from Content-Range) is within the size limit. A
   * GET without Range that got a 206 already asked for the whole: asking again gets the same.
   */
  void afterPartial(HeaderList partial, Instant responseTime) {
    RequestFacts request = state.request;
    // Asked, not left to NONE: refresh() would open (and at once end) a trace span.
    if (!refresher.enabled() || !request.method().equals("GET") || request.backgroundRefresh()
        || !request.headers().contains("range")) {
      return;
    }
    long length = ByteRanges.completeLength(partial.first("content-range"));
    if (length < 0 || length > config.maxObjectBytes(state.route)) {
      return;
    }
    if (policy.decide(request, state.requestVerdict, 200, partial, state.route,
        responseTime).storable()) {
      refresh(VaryKey.of(partial.joined("vary"), request.headers(),
          state.route.normalizeHeaders()).keySet());
    }
  }
}
