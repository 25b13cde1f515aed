package io.edgecache.edge.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.logging.Logger;

/**
 * One client connection: runs its requests one at a time as {@link Exchange}s. Reading stops
 * while a request body must wait (backpressure) and after a complete request until its response
 * is done, so pipelined requests wait in the socket.
 */
public final class DownstreamHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = Logger.getLogger(DownstreamHandler.class.getName());

  private final EdgeContext edge;
  private ChannelHandlerContext ctx;
  private Exchange current;
  private boolean requestBodyPaused;
  private boolean awaitingResponse;

  public DownstreamHandler(EdgeContext edge) {
    this.edge = edge;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest request) {
      if (request.decoderResult().isFailure() || current != null) {
        ReferenceCountUtil.release(msg);
        rejectAndClose(current != null ? "pipelined requests are not supported" : "malformed request");
        return;
      }
      current = new Exchange(ctx.channel(), this, edge, request);
      current.start();
    }
    if (msg instanceof HttpContent content) {
      boolean last = content instanceof LastHttpContent;
      if (last) {
        awaitingResponse = true;
        updateReading();
      }
      if (current != null) {
        current.onRequestBody(content.content(), last);
      } else {
        content.release();
      }
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (current != null) {
      current.onClientClosed();
      current = null;
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (current != null) {
      current.onClientWritabilityChanged();
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.fine(() -> "client connection error: " + cause);
    ctx.close();
  }

  /** Backpressure from the request flow. */
  void requestReading(boolean on) {
    requestBodyPaused = !on;
    updateReading();
  }

  /** The exchange wrote its whole response; keep the connection for the next request or close it. */
  void exchangeDone(boolean keepAlive) {
    current = null;
    if (keepAlive) {
      awaitingResponse = false;
      requestBodyPaused = false;
      updateReading();
    } else {
      ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
  }

  private void updateReading() {
    ctx.channel().config().setAutoRead(!requestBodyPaused && !awaitingResponse);
  }

  private void rejectAndClose(String reason) {
    log.fine(() -> "closing client connection: " + reason);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST,
        Unpooled.EMPTY_BUFFER);
    response.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    if (current != null) {
      current.onClientClosed();
      current = null;
      ctx.close();
    } else {
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
  }
}
