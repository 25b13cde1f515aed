package io.edgecache.extproc.grpc;

import com.google.protobuf.ByteString;
import io.edgecache.extproc.fields.HeaderList;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.TrailersResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import java.time.Duration;

/** Builders for the ext_proc answers this server sends. */
final class ExchangeMessages {

  /** Margin between an exchange's own wait and the Envoy timer it asks for. */
  private static final Duration TIMER_MARGIN = Duration.ofMillis(500);

  private static final ProcessingResponse CONTINUE_REQUEST_HEADERS =
      ProcessingResponse.newBuilder()
          .setRequestHeaders(HeadersResponse.getDefaultInstance())
          .build();
  private static final ProcessingResponse CONTINUE_REQUEST_BODY =
      ProcessingResponse.newBuilder().setRequestBody(BodyResponse.getDefaultInstance()).build();
  private static final ProcessingResponse CONTINUE_RESPONSE_BODY =
      ProcessingResponse.newBuilder().setResponseBody(BodyResponse.getDefaultInstance()).build();
  private static final ProcessingResponse CONTINUE_REQUEST_TRAILERS =
      ProcessingResponse.newBuilder()
          .setRequestTrailers(TrailersResponse.getDefaultInstance())
          .build();
  private static final ProcessingResponse CONTINUE_RESPONSE_TRAILERS =
      ProcessingResponse.newBuilder()
          .setResponseTrailers(TrailersResponse.getDefaultInstance())
          .build();

  private ExchangeMessages() {}

  static ProcessingResponse continueRequestBody() {
    return CONTINUE_REQUEST_BODY;
  }

  static ProcessingResponse continueResponseBody() {
    return CONTINUE_RESPONSE_BODY;
  }

  static ProcessingResponse continueRequestTrailers() {
    return CONTINUE_REQUEST_TRAILERS;
  }

  static ProcessingResponse continueResponseTrailers() {
    return CONTINUE_RESPONSE_TRAILERS;
  }

  /** Continues the request with {@code mutation} applied (validators added, marker removed). */
  static ProcessingResponse continueRequestHeaders(HeaderMutation mutation) {
    if (mutation.getSetHeadersCount() == 0 && mutation.getRemoveHeadersCount() == 0) {
      return CONTINUE_REQUEST_HEADERS;
    }
    return ProcessingResponse.newBuilder()
        .setRequestHeaders(HeadersResponse.newBuilder()
            .setResponse(CommonResponse.newBuilder().setHeaderMutation(asEnvoyAccepts(mutation))))
        .build();
  }

  /**
   * Continues the response with {@code mutation} and the response body mode set. The whole
   * mode is sent because Envoy replaces its processing mode with the override wholesale.
   */
  static ProcessingResponse continueResponseHeaders(
      HeaderMutation mutation, BodySendMode responseBodyMode) {
    return ProcessingResponse.newBuilder()
        .setResponseHeaders(
            HeadersResponse.newBuilder()
                .setResponse(CommonResponse.newBuilder().setHeaderMutation(asEnvoyAccepts(mutation))))
        .setModeOverride(modeWithResponseBody(responseBodyMode))
        .build();
  }

  /**
   * Sends the request elsewhere: applies {@code header} and clears the route cache, so Envoy
   * routes the request afresh (to the route that matches the header), and turns processing of
   * the response off, since that response is already the answer.
   */
  static ProcessingResponse rerouteRequest(HeaderValueOption header) {
    return ProcessingResponse.newBuilder()
        .setRequestHeaders(HeadersResponse.newBuilder()
            .setResponse(CommonResponse.newBuilder()
                .setHeaderMutation(asEnvoyAccepts(HeaderMutation.newBuilder().addSetHeaders(header).build()))
                .setClearRouteCache(true)))
        .setModeOverride(ProcessingMode.newBuilder()
            .setRequestHeaderMode(HeaderSendMode.SEND)
            .setResponseHeaderMode(HeaderSendMode.SKIP)
            .setRequestBodyMode(BodySendMode.NONE)
            .setResponseBodyMode(BodySendMode.NONE)
            .setRequestTrailerMode(HeaderSendMode.SKIP)
            .setResponseTrailerMode(HeaderSendMode.SKIP))
        .build();
  }

  /**
   * Asks Envoy to wait for the answer to the message in flight a margin longer than the
   * exchange itself waits ({@code wait}), so the exchange's own timeout fires first; Envoy
   * honours it up to the filter's {@code max_message_timeout}.
   */
  static ProcessingResponse extendTimerBeyond(Duration wait) {
    Duration timeout = wait.plus(TIMER_MARGIN);
    return ProcessingResponse.newBuilder()
        .setOverrideMessageTimeout(com.google.protobuf.Duration.newBuilder()
            .setSeconds(timeout.getSeconds())
            .setNanos(timeout.getNano()))
        .build();
  }

  /**
   * A header to set, replacing any field of that name. Checked, with the rest of its mutation,
   * when the answer is built.
   */
  static HeaderValueOption replace(String name, String value) {
    return EnvoyHeaderLines.line(name, value, false);
  }

  /** An immediate response carrying the given status, header fields and body. */
  static ProcessingResponse immediate(
      int status, HeaderList headers, ByteString body, String details) {
    EnvoyHeaderLines mutation = EnvoyHeaderLines.forLocalReply();
    for (HeaderList.Field field : headers.fields()) {
      // Repeated field lines (Link, Set-Cookie, Vary, ...) stay separate, as the origin sent them.
      mutation.add(field.name(), field.value());
    }
    return ProcessingResponse.newBuilder()
        .setImmediateResponse(
            ImmediateResponse.newBuilder()
                .setStatus(HttpStatus.newBuilder().setCodeValue(status))
                .setHeaders(mutation.build())
                .setBody(body)
                .setDetails(details))
        .build();
  }

  private static ProcessingMode modeWithResponseBody(BodySendMode responseBodyMode) {
    return ProcessingMode.newBuilder()
        .setRequestHeaderMode(HeaderSendMode.SEND)
        .setResponseHeaderMode(HeaderSendMode.SEND)
        .setRequestBodyMode(BodySendMode.NONE)
        .setResponseBodyMode(responseBodyMode)
        .setRequestTrailerMode(HeaderSendMode.SKIP)
        .setResponseTrailerMode(HeaderSendMode.SKIP)
        .build();
  }

  /** {@code mutation} as Envoy applies it: explicit append, raw_value, invalid lines dropped. */
  private static HeaderMutation asEnvoyAccepts(HeaderMutation mutation) {
    return EnvoyHeaderLines.forContinue().addAll(mutation).build();
  }
}
