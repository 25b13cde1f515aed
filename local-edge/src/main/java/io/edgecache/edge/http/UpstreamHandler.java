package io.edgecache.edge.http;

import io.edgecache.edge.http.UpstreamListener.ResetReason;
import io.edgecache.security.LogText;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResultProvider;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.logging.Logger;

/**
 * The last handler of a pooled origin connection: passes response events to the exchange
 * currently using the connection and guards the connection's framing.
 *
 * <ul>
 *   <li>Interim 1xx responses go to the exchange as such; only a final response ends it.
 *   <li>A 1xx or 204 that announces a body is a protocol error, as in Envoy's codec
 *       ({@link EnvoyHttp1ClientCodec} flags it).
 *   <li>Bytes that do not parse (bad head, bad chunk, a body cut short by a close) are a
 *       protocol error: the exchange hears of it and the connection is closed.
 *   <li>Anything after the final response's end (more body than Content-Length said, or
 *       bytes on an idle pooled connection) is never parsed as another response: the
 *       connection is closed instead, as Envoy's HTTP/1 codec does.
 *   <li>A pooled connection idle for the pool's idle timeout is closed (Envoy's upstream
 *       {@code common_http_protocol_options.idle_timeout}).
 * </ul>
 */
final class UpstreamHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = Logger.getLogger(UpstreamHandler.class.getName());

  private UpstreamListener listener;
  private boolean inInterim;
  private boolean responseEnded;

  /** Attaches the connection to an exchange, or detaches it (null) when it goes idle or is given up. */
  void listener(UpstreamListener listener) {
    this.listener = listener;
    this.inInterim = false;
    this.responseEnded = false;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof DecoderResultProvider decoded && decoded.decoderResult().isFailure()) {
      Throwable cause = decoded.decoderResult().cause();
      ReferenceCountUtil.release(msg);
      log.fine(() -> "origin sent an invalid response: " + LogText.quote(String.valueOf(cause)));
      reset(ctx, ResetReason.PROTOCOL_ERROR);
      return;
    }
    if (listener == null || responseEnded) {
      // Bytes after the response ended, or on an idle connection: the origin's framing
      // cannot be trusted, so the connection is never reused.
      ReferenceCountUtil.release(msg);
      log.fine("origin sent bytes after its response ended; closing the connection");
      listener = null;
      ctx.close();
      return;
    }
    if (msg instanceof HttpResponse response) {
      inInterim = response.status().codeClass() == HttpStatusClass.INFORMATIONAL;
      if (inInterim) {
        listener.onInterimResponse(response);
      } else {
        listener.onResponseHead(response);
      }
    }
    if (msg instanceof HttpContent content) {
      boolean last = content instanceof LastHttpContent;
      if (inInterim) {
        content.release();
        inInterim = !last;
      } else {
        responseEnded = last;
        // The listener may detach (listener(null)) while handling the last chunk.
        CodecBody.handOn(content.content(), last, listener::onResponseBody);
      }
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (listener != null && !responseEnded) {
      UpstreamListener current = listener;
      listener = null;
      current.onUpstreamReset(ResetReason.CONNECTION_TERMINATION);
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (listener != null) {
      listener.onUpstreamWritabilityChanged();
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (!(event instanceof IdleStateEvent)) {
      ctx.fireUserEventTriggered(event);
    } else if (listener == null) {
      log.fine("closing an idle origin connection");
      ctx.close();
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.fine(() -> "origin connection error: " + LogText.quote(String.valueOf(cause)));
    ctx.close();
  }

  private void reset(ChannelHandlerContext ctx, ResetReason reason) {
    UpstreamListener current = responseEnded ? null : listener;
    listener = null;
    ctx.close();
    if (current != null) {
      current.onUpstreamReset(reason);
    }
  }
}
