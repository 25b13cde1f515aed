package io.edgecache.extproc.grpc;

import com.google.protobuf.ByteString;
import io.edgecache.extproc.http.HeaderList;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption.HeaderAppendAction;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.BodyResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.CommonResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.HeadersResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import io.envoyproxy.envoy.service.ext_proc.v3.TrailersResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import java.nio.charset.StandardCharsets;

/** Builders for the ext_proc answers this server sends. */
final class ExchangeMessages {

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

  static ProcessingResponse continueRequestHeaders() {
    return CONTINUE_REQUEST_HEADERS;
  }

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

  /**
   * Continues the response with one header replaced and the response body mode set. The whole
   * mode is sent because Envoy replaces its processing mode with the override wholesale.
   */
  static ProcessingResponse continueResponseHeaders(
      String name, String value, BodySendMode responseBodyMode) {
    HeaderMutation mutation =
        HeaderMutation.newBuilder()
            .addSetHeaders(option(name, value, HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD))
            .build();
    return ProcessingResponse.newBuilder()
        .setResponseHeaders(
            HeadersResponse.newBuilder()
                .setResponse(CommonResponse.newBuilder().setHeaderMutation(mutation)))
        .setModeOverride(modeWithResponseBody(responseBodyMode))
        .build();
  }

  /** An immediate response carrying the given status, header fields and body. */
  static ProcessingResponse immediate(
      int status, HeaderList headers, ByteString body, String details) {
    HeaderMutation.Builder mutation = HeaderMutation.newBuilder();
    for (HeaderList.Field field : headers.fields()) {
      // Append keeps repeated field lines (Link, Vary, ...) as the origin sent them.
      mutation.addSetHeaders(
          option(field.name(), field.value(), HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD));
    }
    return ProcessingResponse.newBuilder()
        .setImmediateResponse(
            ImmediateResponse.newBuilder()
                .setStatus(HttpStatus.newBuilder().setCodeValue(status))
                .setHeaders(mutation)
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

  /** Header values go out in {@code raw_value}, which every current Envoy reads. */
  private static HeaderValueOption option(String name, String value, HeaderAppendAction action) {
    return HeaderValueOption.newBuilder()
        .setHeader(
            HeaderValue.newBuilder()
                .setKey(name)
                .setRawValue(ByteString.copyFrom(value, StandardCharsets.ISO_8859_1)))
        .setAppendAction(action)
        .build();
  }
}
