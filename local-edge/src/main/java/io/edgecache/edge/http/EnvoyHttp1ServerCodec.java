package io.edgecache.edge.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpStatusClass;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;

/**
 * Netty's {@code HttpServerCodec} (each response is encoded knowing its request's method, so a
 * response to HEAD carries no body), except for a request line Envoy's codec refuses
 * ({@link EnvoyRequestLine}) and for a request with both Content-Length and
 * Transfer-Encoding: Netty drops the Content-Length and reads the chunked body, where Envoy's
 * HTTP/1 codec refuses the request (400, {@code http1.content_length_and_chunked_not_allowed},
 * {@code allow_chunked_length} off) and closes the connection. Such a request here comes out
 * with a failed decoder result, which {@link DownstreamHandler} answers so. Netty's codec
 * cannot be subclassed for this: its decoder is a private class.
 */
final class EnvoyHttp1ServerCodec
    extends CombinedChannelDuplexHandler<HttpRequestDecoder, HttpResponseEncoder> {

  /** What a failed request says: Envoy's response code detail. */
  static final String CONTENT_LENGTH_AND_CHUNKED = "http1.content_length_and_chunked_not_allowed";

  /** The methods of the requests read and not yet answered, in order. */
  private final Queue<HttpMethod> unanswered = new ArrayDeque<>();

  EnvoyHttp1ServerCodec() {
    init(new RequestDecoder(), new ResponseEncoder());
  }

  private final class RequestDecoder extends HttpRequestDecoder {
    RequestDecoder() {
      // Envoy bounds the request line and headers together; Netty each on its own.
      super(new HttpDecoderConfig().setMaxInitialLineLength(HeaderLimits.MAX_HEADERS_BYTES)
          .setMaxHeaderSize(HeaderLimits.MAX_HEADERS_BYTES));
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out)
        throws Exception {
      int before = out.size();
      super.decode(ctx, buffer, out);
      for (int i = before; i < out.size(); i++) {
        if (out.get(i) instanceof HttpRequest request) {
          unanswered.add(request.method());
          String refusal = request.decoderResult().isSuccess()
              ? EnvoyRequestLine.refusal(request.method(), request.uri()) : null;
          if (refusal != null) {
            request.setDecoderResult(DecoderResult.failure(new IllegalArgumentException(refusal)));
          }
        }
      }
    }

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
      super.handleTransferEncodingChunkedWithContentLength(message);
      message.setDecoderResult(DecoderResult.failure(
          new IllegalArgumentException(CONTENT_LENGTH_AND_CHUNKED)));
    }
  }

  private final class ResponseEncoder extends HttpResponseEncoder {
    private HttpMethod method;

    @Override
    protected boolean isContentAlwaysEmpty(HttpResponse response) {
      method = unanswered.poll();
      return HttpMethod.HEAD.equals(method) || super.isContentAlwaysEmpty(response);
    }

    @Override
    protected void sanitizeHeadersBeforeEncode(HttpResponse response, boolean isAlwaysEmpty) {
      if (!isAlwaysEmpty && HttpMethod.CONNECT.equals(method)
          && response.status().codeClass() == HttpStatusClass.SUCCESS) {
        // A 2xx to CONNECT turns the connection into a tunnel: no framing (RFC 9110 9.3.6).
        response.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
        return;
      }
      super.sanitizeHeadersBeforeEncode(response, isAlwaysEmpty);
    }
  }
}
