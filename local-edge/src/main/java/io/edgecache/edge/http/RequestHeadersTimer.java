package io.edgecache.edge.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Envoy's {@code request_headers_timeout}: from a request's first byte until its head is
 * complete. Sits in front of the HTTP decoder to see that first byte; the connection's
 * {@link DownstreamHandler} tells it when a head arrived and when the next request may begin.
 */
final class RequestHeadersTimer extends ChannelInboundHandlerAdapter {
  private final long timeoutNanos;
  private final Runnable onTimeout;
  private boolean awaitingHead = true;
  private ScheduledFuture<?> timer;

  /** A zero {@code timeout} disables the timer. */
  RequestHeadersTimer(Duration timeout, Runnable onTimeout) {
    this.timeoutNanos = timeout.toNanos();
    this.onTimeout = onTimeout;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (awaitingHead && timer == null && timeoutNanos > 0 && msg instanceof ByteBuf bytes && bytes.isReadable()) {
      timer = ctx.executor().schedule(this::fire, timeoutNanos, TimeUnit.NANOSECONDS);
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    cancel();
    ctx.fireChannelInactive();
  }

  /** A complete request head arrived. */
  void headReceived() {
    awaitingHead = false;
    cancel();
  }

  /** The previous request is done; the next one's first byte starts the clock. */
  void awaitNextHead() {
    awaitingHead = true;
  }

  private void fire() {
    if (timer != null) {
      timer = null;
      awaitingHead = false;
      onTimeout.run();
    }
  }

  private void cancel() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }
}
