package io.edgecache.extproc.purge;

/**
 * Whether this node may answer from its cache. Closed while the node is not known to have
 * applied every purge: from start and from each reconnection until the control plane says the
 * replay is over, and while the purge stream is down. Closed, the node still forwards and
 * stores; it only answers nothing from the cache.
 */
public final class HitGate {

  private volatile boolean open;

  public HitGate(boolean open) {
    this.open = open;
  }

  public boolean isOpen() {
    return open;
  }

  void open() {
    open = true;
  }

  void close() {
    open = false;
  }
}
