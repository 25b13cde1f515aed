package io.edgecache.admin;

import io.netty.channel.Channel;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The most connections one Netty server holds open: past it a new connection is closed as it
 * is accepted (refused at once, not left hanging), so a flood of sockets that send nothing
 * costs the process file descriptors up to the cap and no more. One per server, consulted by
 * its child channel initializer; used by {@link AdminPages} and the cache node's body endpoint.
 */
public final class ConnectionCap {

  private final int max;
  private final AtomicInteger open = new AtomicInteger();

  public ConnectionCap(int max) {
    if (max < 1) {
      throw new IllegalArgumentException("a connection cap must be positive: " + max);
    }
    this.max = max;
  }

  /**
   * Counts {@code accepted} as open until it closes and returns true; or, when {@code max} are
   * open already, closes it and returns false (the caller then sets up nothing on it).
   */
  public boolean admit(Channel accepted) {
    if (open.incrementAndGet() > max) {
      open.decrementAndGet();
      accepted.close();
      return false;
    }
    accepted.closeFuture().addListener(closed -> open.decrementAndGet());
    return true;
  }
}
