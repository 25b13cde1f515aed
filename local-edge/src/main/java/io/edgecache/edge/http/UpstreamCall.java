package io.edgecache.edge.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.HttpObject;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;

/**
 * One request on an origin connection. Writes made while the connection is still being
 * established are queued (bounded by the request flow's backpressure, since
 * {@link #writable()} is false until connected).
 *
 * <p>The call keeps its own reference to the connection's {@link UpstreamHandler}: once the
 * origin closed the connection, Netty has emptied its pipeline, and looking the handler up
 * there would find nothing.
 */
final class UpstreamCall {
  private final UpstreamPool pool;
  private final String key;
  private final UpstreamListener listener;
  private final List<HttpObject> pending = new ArrayList<>();
  private Channel channel;
  private UpstreamHandler handler;
  private boolean finished;

  private UpstreamCall(UpstreamPool pool, String key, UpstreamListener listener) {
    this.pool = pool;
    this.key = key;
    this.listener = listener;
  }

  static UpstreamCall attached(UpstreamPool pool, String key, Channel channel, UpstreamListener listener) {
    UpstreamCall call = new UpstreamCall(pool, key, listener);
    call.attach(channel);
    return call;
  }

  static UpstreamCall connecting(UpstreamPool pool, String key, ChannelFuture connect, UpstreamListener listener) {
    UpstreamCall call = new UpstreamCall(pool, key, listener);
    connect.addListener((ChannelFutureListener) f -> {
      if (call.finished) {
        f.channel().close();
      } else if (f.isSuccess()) {
        call.attach(f.channel());
        call.listener.onUpstreamWritabilityChanged();
      } else {
        call.finished = true;
        call.releasePending();
        call.listener.onConnectFailed(f.cause());
      }
    });
    return call;
  }

  private void attach(Channel channel) {
    this.channel = channel;
    this.handler = UpstreamPool.handlerOf(channel);
    handler.listener(listener);
    for (HttpObject msg : pending) {
      channel.write(msg, channel.voidPromise());
    }
    pending.clear();
    channel.flush();
  }

  /** Takes ownership of {@code msg}. */
  void write(HttpObject msg) {
    if (finished) {
      ReferenceCountUtil.release(msg);
    } else if (channel == null) {
      pending.add(msg);
    } else {
      // A failed write closes the connection, which the exchange sees as an upstream reset.
      channel.writeAndFlush(msg).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }
  }

  boolean writable() {
    return channel != null && channel.isWritable();
  }

  void reading(boolean on) {
    if (channel != null) {
      channel.config().setAutoRead(on);
    }
  }

  /** The exchange completed cleanly: the connection goes back to the pool if it is still open. */
  void release() {
    if (!finished && channel != null) {
      finished = true;
      handler.listener(null);
      channel.config().setAutoRead(true);
      pool.release(key, channel);
    }
  }

  /** The exchange ended early: the connection's state is unknown, so close it. */
  void abort() {
    if (finished) {
      return;
    }
    finished = true;
    releasePending();
    if (channel != null) {
      handler.listener(null);
      channel.close();
    }
  }

  private void releasePending() {
    pending.forEach(ReferenceCountUtil::release);
    pending.clear();
  }
}
