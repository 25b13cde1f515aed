package io.edgecache.extproc.grpc;

import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.fields.ByteRanges;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.extproc.policy.CachePolicy;
import io.edgecache.extproc.policy.CacheStatus;
import io.edgecache.extproc.policy.RequestFacts;
import io.edgecache.extproc.policy.ServePolicy;
import io.edgecache.extproc.policy.StoreVerdict;
import io.edgecache.extproc.telemetry.Outcome;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * The {@code response_headers} step: what the origin's answer means for the store (an unsafe
 * method's invalidation, a HEAD's freshening, a 304 or an error the stored response answers),
 * whether the response is recorded, and the Cache-Status it carries on.
 */
final class ResponseHeaders {

  private final ExchangeState state;
  private final Revalidation revalidation;
  private final BackgroundFetch background;
  private final ResponseRecorder recorder;
  private final Fill fill;
  private final StoreUpdates storeUpdates;
  private final CachePolicy policy;
  /** The size limits. */
  private final ServerConfig config;
  private final Clock clock;

  ResponseHeaders(ExchangeState state, Revalidation revalidation, BackgroundFetch background,
      ResponseRecorder recorder, Fill fill, StoreUpdates storeUpdates, CachePolicy policy,
      ServerConfig config, Clock clock) {
    this.state = state;
    this.revalidation = revalidation;
    this.background = background;
    this.recorder = recorder;
    this.fill = fill;
    this.storeUpdates = storeUpdates;
    this.policy = policy;
    this.config = config;
    this.clock = clock;
  }

  /**
   * @param envoysOwn the response is a reply Envoy made itself ({@link ResponseSource}): it
   *     may still be answered from a stale copy (an unreachable origin), but nothing about it is
   *     stored, freshened or invalidated, since the origin never saw the request
   */
  void on(HttpHeaders message, boolean envoysOwn) throws MalformedMessageException {
    if (state.step() != ExchangeStep.AWAIT_RESPONSE_HEADERS) {
      throw new MalformedMessageException(
          state.step() == ExchangeStep.AWAIT_REQUEST_HEADERS
              ? "response_headers: arrived before request_headers"
              : "response_headers: received in the wrong phase (" + state.step() + ")");
    }
    HeaderList headers = HeaderList.fromEnvoy(message.getHeaders());
    int status = parseStatus(headers.first(":status"));
    Instant responseTime = clock.instant();
    RequestFacts request = state.request;
    if (revalidation.answer(status, headers, responseTime, envoysOwn)) {
      return;
    }
    StoreVerdict verdict;
    ByteRanges.Part part = null;
    if (envoysOwn) {
      verdict = StoreVerdict.ENVOY_REPLY;
    } else {
      updateStoredResponses(request, status, headers, responseTime);
      part = status == 206 ? recorder.storablePart(headers) : null;
      verdict = part != null
          // judged as the complete response it is part of would be
          ? policy.decide(request, state.requestVerdict, 200,
              headers.without(field -> field.name().equals("content-range")), state.route,
              responseTime)
          : policy.decide(request, state.requestVerdict, status, headers, state.route,
              responseTime);
    }

    CacheStatus cacheStatus = CacheStatus.forwarded(state.forwardReason).fwdStatus(status);
    BodySendMode bodyMode = BodySendMode.NONE;
    long declaredLength = declaredLength(headers);
    // A pass until the body is committed; counted when the stream ends if it never is.
    state.tally.settle(Outcome.PASS, status, Math.max(0, declaredLength), null,
        !verdict.storable());
    if (verdict.storable()) {
      long maxBytes = config.maxObjectBytes(state.route);
      if (ServePolicy.tooLarge(declaredLength, maxBytes)) {
        cacheStatus.detail("too-large");
        fill.land(null, true);
      } else {
        Duration initialAge = verdict.correctedInitialAge();
        cacheStatus.stored()
            .ttl(verdict.freshnessLifetime().getSeconds() - initialAge.getSeconds())
            .detail(state.detail);
        recorder.start(status, headers, part, verdict, declaredLength, responseTime, maxBytes);
        if (message.getEndOfStream()) {
          recorder.commit();
        } else {
          bodyMode = BodySendMode.STREAMED;
          state.moveTo(ExchangeStep.RESPONSE_BODY);
        }
      }
    } else {
      cacheStatus.detail(verdict.reason() != null ? verdict.reason() : state.detail);
      // Followers of an Envoy reply fetch for themselves: it says nothing about the origin.
      fill.land(null, !envoysOwn && verdict.reason() != null && status < 500);
    }
    if (state.step() == ExchangeStep.AWAIT_RESPONSE_HEADERS) {
      state.moveTo(ExchangeStep.DONE);
    }
    state.send(ExchangeMessages.continueResponseHeaders(
        responseMutation(cacheStatus.appendTo(headers.joined(CacheStatus.FIELD))), bodyMode));
  }

  /**
   * What the origin's answer does to responses stored already: an unsafe method's success
   * invalidates them (RFC 9111 §4.4), a 206 may start the background fill of the whole, a HEAD's
   * 200 freshens the stored GET (§4.3.5).
   */
  private void updateStoredResponses(RequestFacts request, int status, HeaderList headers,
      Instant responseTime) {
    if (!request.isSafe() && status >= 200 && status < 400) {
      storeUpdates.invalidateAfterUnsafeMethod(request, headers);
    }
    if (status == 206) {
      background.afterPartial(headers, responseTime);
    }
    if (request.isHead() && status == 200) {
      storeUpdates.freshenFromHead(request, state.requestVerdict, state.route,
          state::matchesVary, headers, responseTime);
    }
  }

  private HeaderMutation responseMutation(String cacheStatus) {
    HeaderMutation.Builder mutation = HeaderMutation.newBuilder()
        .addSetHeaders(ExchangeMessages.replace(CacheStatus.FIELD, cacheStatus));
    if (policy.stripsTargetedFields()) {
      mutation.addAllRemoveHeaders(policy.targetedFields());
    }
    return mutation.build();
  }

  private static int parseStatus(String value) throws MalformedMessageException {
    if (value == null) {
      throw new MalformedMessageException("response_headers: missing :status pseudo-header");
    }
    if (value.length() != 3 || !Character.isDigit(value.charAt(0))
        || !Character.isDigit(value.charAt(1)) || !Character.isDigit(value.charAt(2))
        || value.charAt(0) < '1' || value.charAt(0) > '5') {
      throw new MalformedMessageException(
          "response_headers: :status '" + value + "' is not a status code 100-599");
    }
    return Integer.parseInt(value);
  }

  /** The Content-Length value, or -1 when absent or unusable. */
  private static long declaredLength(HeaderList headers) {
    String value = headers.first("content-length");
    if (value == null) {
      return -1;
    }
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
