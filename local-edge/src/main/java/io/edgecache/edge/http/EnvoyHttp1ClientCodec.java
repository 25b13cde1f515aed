package io.edgecache.edge.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpStatusClass;
import java.util.ArrayDeque;
import java.util.Queue;

/**
 * Netty's {@code HttpClientCodec} as far as origin connections use it (a response to HEAD, or a
 * 2xx to CONNECT, has no body), except for a 1xx or 204 that announces a body: Envoy's HTTP/1
 * client codec refuses one with Transfer-Encoding or with a Content-Length other than 0 as a
 * protocol error, and drops a Content-Length of 0 ({@code ClientConnectionImpl::onHeadersCompleteBase}),
 * where Netty drops the Transfer-Encoding and would read the announced body as the next response.
 * Such a response comes out with a failed decoder result, which {@link UpstreamHandler} answers
 * as a protocol error. Netty's codec cannot be subclassed for this: its decoder is a private
 * class.
 */
final class EnvoyHttp1ClientCodec extends CombinedChannelDuplexHandler<HttpResponseDecoder, HttpRequestEncoder> {

  /** The methods of the requests sent and not yet answered, in order. */
  private final Queue<HttpMethod> unanswered = new ArrayDeque<>();

  EnvoyHttp1ClientCodec() {
    init(new ResponseDecoder(), new RequestEncoder());
  }

  private final class RequestEncoder extends HttpRequestEncoder {
    @Override
    protected void encodeInitialLine(ByteBuf buf, HttpRequest request) throws Exception {
      unanswered.add(request.method());
      super.encodeInitialLine(buf, request);
    }
  }

  private final class ResponseDecoder extends HttpResponseDecoder {
    @Override
    protected boolean isContentAlwaysEmpty(HttpMessage message) {
      HttpResponse response = (HttpResponse) message;
      int status = response.status().code();
      if (status < 200 || status == 204) {
        // Asked before Netty removes Transfer-Encoding from a response that cannot have a body.
        String refusal = bodilessFramingError(response);
        if (refusal != null) {
          message.setDecoderResult(DecoderResult.failure(new IllegalArgumentException(refusal)));
        }
      }
      if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
        return super.isContentAlwaysEmpty(message); // the final response answers the request
      }
      HttpMethod method = unanswered.poll();
      return HttpMethod.HEAD.equals(method)
          || (HttpMethod.CONNECT.equals(method) && response.status().codeClass() == HttpStatusClass.SUCCESS)
          || super.isContentAlwaysEmpty(message);
    }

    /** Envoy's codec error for a 1xx or 204 that frames a body, or null (a zero length dropped). */
    private String bodilessFramingError(HttpResponse response) {
      if (response.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)) {
        return "transfer encoding not allowed in 1xx or 204";
      }
      String contentLength = response.headers().get(HttpHeaderNames.CONTENT_LENGTH);
      if (contentLength != null && !contentLength.equals("0")) {
        return "content length not allowed in 1xx or 204";
      }
      response.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
      return null;
    }
  }
}
