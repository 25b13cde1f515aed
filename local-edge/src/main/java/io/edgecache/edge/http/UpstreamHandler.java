package io.edgecache.edge.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.logging.Logger;

/**
 * The last handler of a pooled origin connection: passes response events to the exchange
 * currently using the connection, and skips interim 1xx responses.
 */
final class UpstreamHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = Logger.getLogger(UpstreamHandler.class.getName());

  private UpstreamListener listener;
  private boolean skippingInterim;

  /** Attaches the connection to an exchange, or detaches it (null) when it goes idle. */
  void listener(UpstreamListener listener) {
    this.listener = listener;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (listener == null) {
      // Bytes on an idle connection: the origin is misbehaving; do not reuse it.
      ReferenceCountUtil.release(msg);
      ctx.close();
      return;
    }
    if (msg instanceof HttpResponse response) {
      skippingInterim = response.status().codeClass() == HttpStatusClass.INFORMATIONAL;
      if (!skippingInterim) {
        listener.onResponseHead(response);
      }
    }
    if (msg instanceof HttpContent content) {
      boolean last = content instanceof LastHttpContent;
      if (skippingInterim) {
        content.release();
        skippingInterim = !last;
      } else {
        listener.onResponseBody(content.content(), last);
      }
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (listener != null) {
      listener.onUpstreamClosed();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (listener != null) {
      listener.onUpstreamWritabilityChanged();
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.fine(() -> "origin connection error: " + cause);
    ctx.close();
  }
}
