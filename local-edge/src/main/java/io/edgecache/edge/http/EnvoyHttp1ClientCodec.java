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
 * client codec refuses one with Transfer-Encoding as a protocol error
 * ({@code ClientConnectionImpl::onHeadersCompleteBase}), where Netty drops the header and would
 * read the announced body as the next response. Such a response comes out with a failed
 * decoder result, which {@link UpstreamHandler} answers as a protocol error. (Netty keeps a
 * Content-Length, which UpstreamHandler checks itself.) Netty's codec cannot be subclassed for
 * this: its decoder is a private class.
 */
final class EnvoyHttp1ClientCodec extends CombinedChannelDuplexHandler<HttpResponseDecoder, HttpRequestEncoder> {

  /** What a refused response says, as Envoy's codec error does. */
  private static final String TRANSFER_ENCODING_NOT_ALLOWED = "transfer encoding not allowed in 1xx or 204";

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
      // Asked before Netty removes Transfer-Encoding from a response that cannot have a body.
      if ((status < 200 || status == 204)
          && response.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)) {
        message.setDecoderResult(DecoderResult.failure(
            new IllegalArgumentException(TRANSFER_ENCODING_NOT_ALLOWED)));
      }
      if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
        return super.isContentAlwaysEmpty(message); // the final response answers the request
      }
      HttpMethod method = unanswered.poll();
      return HttpMethod.HEAD.equals(method)
          || (HttpMethod.CONNECT.equals(method) && response.status().codeClass() == HttpStatusClass.SUCCESS)
          || super.isContentAlwaysEmpty(message);
    }
  }
}
