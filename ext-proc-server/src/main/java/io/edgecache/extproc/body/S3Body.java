package io.edgecache.extproc.body;

import io.edgecache.extproc.store.BodyLocation;
import io.edgecache.extproc.store.EntryHead;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.ByteBuffer;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * A body streamed from an S3 object to the client as it arrives, with backpressure: a few
 * buffers are requested at a time and the next only once one was written to the socket, so a
 * slow client holds back S3 rather than filling the heap.
 */
final class S3Body implements StoredBody {

  /** Buffers requested from S3 ahead of the socket. */
  private static final int IN_FLIGHT = 8;

  private final BodyLocation.InS3 location;

  S3Body(BodyLocation.InS3 location) {
    this.location = location;
  }

  @Override
  public EntryHead head() {
    return location.head();
  }

  @Override
  public ChannelFuture writeRange(ChannelHandlerContext ctx, long first, long length) {
    if (length == 0) {
      return ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    }
    ChannelPromise done = ctx.newPromise();
    long start = location.layout().bodyOffset() + first;
    location.s3().openRange(location.key(), start, start + length - 1)
        .whenComplete((publisher, error) -> {
          if (error != null) {
            fail(ctx, done, error); // the head is sent: only closing tells the client
          } else {
            publisher.subscribe(new ToChannel(ctx, done, length));
          }
        });
    return done;
  }

  @Override
  public void close() {
    // nothing is held before writeRange subscribes
  }

  private static void fail(ChannelHandlerContext ctx, ChannelPromise done, Throwable error) {
    ctx.close();
    done.tryFailure(error);
  }

  /** Writes what S3 sends to the channel, then the end of the response. */
  private static final class ToChannel implements Subscriber<ByteBuffer> {
    private final ChannelHandlerContext ctx;
    private final ChannelPromise done;
    private final long expected;
    private Subscription subscription;
    private long received;

    ToChannel(ChannelHandlerContext ctx, ChannelPromise done, long expected) {
      this.ctx = ctx;
      this.done = done;
      this.expected = expected;
    }

    @Override
    public void onSubscribe(Subscription s) {
      subscription = s;
      ctx.channel().closeFuture().addListener(closed -> s.cancel()); // client gone
      s.request(IN_FLIGHT);
    }

    @Override
    public void onNext(ByteBuffer buffer) {
      received += buffer.remaining();
      ctx.writeAndFlush(Unpooled.copiedBuffer(buffer)).addListener(written -> {
        if (written.isSuccess()) {
          subscription.request(1);
        } else {
          subscription.cancel();
        }
      });
    }

    @Override
    public void onError(Throwable error) {
      fail(ctx, done, error);
    }

    @Override
    public void onComplete() {
      if (received != expected) {
        fail(ctx, done, new IllegalStateException(
            "S3 sent " + received + " of " + expected + " body bytes"));
        return;
      }
      ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(written -> {
        if (written.isSuccess()) {
          done.trySuccess();
        } else {
          done.tryFailure(written.cause());
        }
      });
    }
  }
}
