package io.edgecache.extproc.body;

import io.edgecache.extproc.store.EntryHead;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;

/**
 * A stored body opened for streaming to one client, from whichever tier holds it. The endpoint
 * writes the response head, then asks for the bytes it serves.
 */
interface StoredBody {

  EntryHead head();

  /**
   * Writes body bytes {@code first} to {@code first + length - 1} and then the end of the
   * response to {@code ctx}, without holding them in the heap; closes the body when done.
   * Returns the future of the last write.
   */
  ChannelFuture writeRange(ChannelHandlerContext ctx, long first, long length);

  /** Releases the body when nothing (more) is written from it. */
  void close();
}
