package io.edgecache.extproc.body;

import io.edgecache.extproc.store.EntryHead;
import io.edgecache.extproc.store.tier.DiskTier;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.http.LastHttpContent;

/** A body in an entry file of the disk tier, sent with zero-copy file transfer. */
final class DiskBody implements StoredBody {

  private final DiskTier.EntryFile file;

  DiskBody(DiskTier.EntryFile file) {
    this.file = file;
  }

  @Override
  public EntryHead head() {
    return file.head();
  }

  @Override
  public ChannelFuture writeRange(ChannelHandlerContext ctx, long first, long length) {
    if (length == 0) {
      file.close();
    } else {
      // the region closes the file once sent; Netty writes it as the socket drains
      ctx.write(new DefaultFileRegion(file.channel(), file.bodyOffset() + first, length));
    }
    return ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
  }

  @Override
  public void close() {
    file.close();
  }
}
