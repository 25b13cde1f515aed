package io.edgecache.extproc.grpc;

import com.google.protobuf.ByteString;
import io.edgecache.extproc.CacheNode;
import io.edgecache.extproc.cache.CacheKey;
import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.config.RoutePolicy;
import io.edgecache.extproc.http.HeaderList;
import io.edgecache.extproc.policy.CacheStatus;
import io.edgecache.extproc.policy.Freshness;
import io.edgecache.extproc.policy.RequestFacts;
import io.edgecache.extproc.policy.RequestVerdict;
import io.edgecache.extproc.policy.StoreVerdict;
import io.edgecache.extproc.policy.VaryKey;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One HTTP request's ext_proc stream. At {@code request_headers} it answers a fresh stored
 * response immediately or lets the request go on; at {@code response_headers} it decides
 * whether the response is stored and turns body messages off when it is not; body chunks are
 * answered one by one and the entry is committed at {@code end_of_stream}.
 *
 * <p>gRPC delivers one stream's messages serially, so this state needs no locking.
 */
final class CacheExchange implements StreamObserver<ProcessingRequest> {

  private static final Logger log = Logger.getLogger(CacheExchange.class.getName());

  private enum Phase {
    AWAIT_REQUEST_HEADERS,
    AWAIT_RESPONSE_HEADERS,
    RESPONSE_BODY,
    /** Nothing left to decide; late body or trailer messages are still answered. */
    DONE,
    /** The stream was failed or reset: nothing more is sent. */
    CLOSED
  }

  private final CacheNode node;
  private final StreamObserver<ProcessingResponse> out;

  private Phase phase = Phase.AWAIT_REQUEST_HEADERS;
  private RequestFacts request;
  private RequestVerdict requestVerdict;
  private RoutePolicy route;
  /** Cache-Status {@code fwd} value for a request that goes to the origin. */
  private String forwardReason;

  // Set while a response body is being recorded.
  private BodyRecorder recorder;
  private int responseStatus;
  private StoreVerdict storeVerdict;
  private HeaderList responseHeaders;
  private Instant responseTime;

  CacheExchange(CacheNode node, StreamObserver<ProcessingResponse> out) {
    this.node = node;
    this.out = out;
  }

  @Override
  public void onNext(ProcessingRequest message) {
    if (phase == Phase.CLOSED) {
      return;
    }
    try {
      switch (message.getRequestCase()) {
        case REQUEST_HEADERS -> onRequestHeaders(message.getRequestHeaders());
        case RESPONSE_HEADERS -> onResponseHeaders(message.getResponseHeaders());
        case RESPONSE_BODY -> onResponseBody(message.getResponseBody());
        case REQUEST_BODY -> out.onNext(ExchangeMessages.continueRequestBody());
        case REQUEST_TRAILERS -> out.onNext(ExchangeMessages.continueRequestTrailers());
        case RESPONSE_TRAILERS -> out.onNext(ExchangeMessages.continueResponseTrailers());
        case REQUEST_NOT_SET -> throw new MalformedMessageException(
            "ProcessingRequest carries none of request_headers, response_headers, request_body,"
                + " response_body, request_trailers, response_trailers");
      }
    } catch (MalformedMessageException e) {
      phase = Phase.CLOSED;
      recorder = null;
      out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
    }
  }

  @Override
  public void onError(Throwable t) {
    // Envoy reset the stream (client gone, timeout): whatever was being recorded is incomplete.
    phase = Phase.CLOSED;
    recorder = null;
  }

  @Override
  public void onCompleted() {
    phase = Phase.CLOSED;
    recorder = null;
    out.onCompleted();
  }

  private void onRequestHeaders(HttpHeaders message) throws MalformedMessageException {
    if (phase != Phase.AWAIT_REQUEST_HEADERS) {
      throw new MalformedMessageException("request_headers: received twice on one stream");
    }
    HeaderList headers = HeaderList.fromEnvoy(message.getHeaders());
    RequestLine line = RequestLine.from(headers);
    CacheKey key = CacheKey.of(line.scheme(), line.authority(), line.path());
    request = RequestFacts.of(line.method(), key, headers, node.clock().instant());
    route = node.config().routeFor(line.authority(), line.pathOnly());
    requestVerdict = node.policy().classify(request);
    forwardReason = requestVerdict.forwardReason();
    phase = Phase.AWAIT_RESPONSE_HEADERS;

    if (requestVerdict.lookup()) {
      CachedResponse entry = node.store().get(key);
      Instant now = request.requestTime();
      if (entry == null) {
        forwardReason = forwardReason == null ? "uri-miss" : forwardReason;
      } else if (!VaryKey.matches(entry.varyValues(), headers)) {
        forwardReason = forwardReason == null ? "vary-miss" : forwardReason;
      } else if (!entry.isFresh(now)) {
        forwardReason = forwardReason == null ? "stale" : forwardReason;
      } else if (requestVerdict.mayServe()) {
        serveHit(entry, now);
        return;
      }
    }
    out.onNext(ExchangeMessages.continueRequestHeaders());
  }

  private void serveHit(CachedResponse entry, Instant now) {
    long ttl = entry.ttlSeconds(now);
    List<HeaderList.Field> fields = new ArrayList<>(entry.headers().fields().size() + 3);
    String upstreamStatus = null;
    for (HeaderList.Field field : entry.headers().fields()) {
      if (field.name().equals(CacheStatus.FIELD)) {
        upstreamStatus = upstreamStatus == null ? field.value() : upstreamStatus + ", "
            + field.value();
      } else {
        fields.add(field);
      }
    }
    fields.add(new HeaderList.Field("age", Long.toString(entry.currentAge(now).getSeconds())));
    fields.add(new HeaderList.Field("content-length", Integer.toString(entry.body().size())));
    fields.add(new HeaderList.Field(
        CacheStatus.FIELD, CacheStatus.hit(ttl).appendTo(upstreamStatus)));
    ByteString body = request.isHead() ? ByteString.EMPTY : entry.body();
    phase = Phase.DONE;
    out.onNext(ExchangeMessages.immediate(
        entry.status(), HeaderList.of(fields), body, "edgecache_hit"));
  }

  private void onResponseHeaders(HttpHeaders message) throws MalformedMessageException {
    if (phase != Phase.AWAIT_RESPONSE_HEADERS) {
      throw new MalformedMessageException(
          phase == Phase.AWAIT_REQUEST_HEADERS
              ? "response_headers: arrived before request_headers"
              : "response_headers: received twice on one stream");
    }
    HeaderList headers = HeaderList.fromEnvoy(message.getHeaders());
    int status = parseStatus(headers.first(":status"));
    responseTime = node.clock().instant();
    storeVerdict =
        node.policy().decide(request, requestVerdict, status, headers, route, responseTime);

    CacheStatus cacheStatus = CacheStatus.forwarded(forwardReason).fwdStatus(status);
    BodySendMode bodyMode = BodySendMode.NONE;
    if (storeVerdict.storable()) {
      long declaredLength = declaredLength(headers);
      if (declaredLength > node.config().maxObjectBytes()) {
        cacheStatus.detail("too-large");
      } else {
        Duration initialAge =
            Freshness.correctedInitialAge(headers, request.requestTime(), responseTime);
        cacheStatus.stored(
            storeVerdict.freshnessLifetime().getSeconds() - initialAge.getSeconds());
        responseStatus = status;
        responseHeaders = headers;
        recorder = new BodyRecorder(node.config().maxObjectBytes());
        if (message.getEndOfStream()) {
          commit();
        } else {
          bodyMode = BodySendMode.STREAMED;
          phase = Phase.RESPONSE_BODY;
        }
      }
    } else {
      cacheStatus.detail(storeVerdict.reason() != null ? storeVerdict.reason()
          : requestVerdict.detail());
    }
    if (phase == Phase.AWAIT_RESPONSE_HEADERS) {
      phase = Phase.DONE;
    }
    out.onNext(ExchangeMessages.continueResponseHeaders(
        CacheStatus.FIELD, cacheStatus.appendTo(headers.joined(CacheStatus.FIELD)), bodyMode));
  }

  private void onResponseBody(HttpBody message) throws MalformedMessageException {
    if (phase == Phase.AWAIT_REQUEST_HEADERS || phase == Phase.AWAIT_RESPONSE_HEADERS) {
      throw new MalformedMessageException("response_body: arrived before response_headers");
    }
    if (recorder != null && !recorder.append(message.getBody())) {
      recorder = null; // over the size limit: the rest passes through unrecorded
    }
    if (message.getEndOfStream() && recorder != null) {
      commit();
    }
    out.onNext(ExchangeMessages.continueResponseBody());
  }

  private void commit() {
    ByteString body = recorder.body();
    recorder = null;
    phase = Phase.DONE;
    long declared = declaredLength(responseHeaders);
    if (declared >= 0 && declared != body.size()) {
      log.log(Level.FINE, "not storing {0}: body {1} bytes, content-length {2}",
          new Object[] {request.key(), body.size(), declared});
      return;
    }
    Map<String, String> varyValues =
        VaryKey.of(responseHeaders.joined("vary"), request.headers());
    node.store().put(request.key(), new CachedResponse(
        responseStatus,
        storeVerdict.storedHeaders(),
        body,
        responseTime,
        Freshness.correctedInitialAge(responseHeaders, request.requestTime(), responseTime),
        storeVerdict.freshnessLifetime(),
        varyValues));
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
