package io.edgecache.admin;

import io.netty.channel.Channel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The most connections one Netty server holds open, in all and (optionally) from any one
 * address: past either a new connection is closed as it is accepted (refused at once, not left
 * hanging), so a flood of sockets that send nothing costs the process file descriptors up to
 * the cap and no more, and one address cannot take all of them. One per server, consulted by
 * its child channel initializer; used by {@link AdminPages}, {@link AdminApi} and the cache
 * node's body endpoint.
 */
public final class ConnectionCap {

  private final int max;
  private final int maxPerSource;
  private final AtomicInteger open = new AtomicInteger();
  private final ConcurrentHashMap<InetAddress, Integer> bySource = new ConcurrentHashMap<>();

  /** At most {@code max} connections, from any addresses. */
  public ConnectionCap(int max) {
    this(max, max);
  }

  /** At most {@code max} connections, {@code maxPerSource} of them from one address. */
  public ConnectionCap(int max, int maxPerSource) {
    if (max < 1 || maxPerSource < 1) {
      throw new IllegalArgumentException("connection caps must be positive: " + max + ", "
          + maxPerSource);
    }
    this.max = max;
    this.maxPerSource = Math.min(max, maxPerSource);
  }

  /**
   * Counts {@code accepted} as open until it closes and returns true; or, when a cap is
   * reached, closes it and returns false (the caller then sets up nothing on it).
   */
  public boolean admit(Channel accepted) {
    if (open.incrementAndGet() > max) {
      open.decrementAndGet();
      accepted.close();
      return false;
    }
    InetAddress source = accepted.remoteAddress() instanceof InetSocketAddress address
        ? address.getAddress() : null;
    if (source != null && maxPerSource < max
        && bySource.merge(source, 1, Integer::sum) > maxPerSource) {
      release(source);
      open.decrementAndGet();
      accepted.close();
      return false;
    }
    accepted.closeFuture().addListener(closed -> {
      open.decrementAndGet();
      if (source != null && maxPerSource < max) {
        release(source);
      }
    });
    return true;
  }

  private void release(InetAddress source) {
    bySource.computeIfPresent(source, (address, count) -> count == 1 ? null : count - 1);
  }
}
