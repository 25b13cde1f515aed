package io.edgecache.extproc.coalesce;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * This node's hold on one key's fetch across the cluster; it must end whatever the fetch came
 * to, and ends once however many paths try (a commit, a reset). Until then it is renewed every
 * third of its lifetime, so a fetch may outlast the lease while a crashed holder's lease still
 * runs out quickly; but only until its lead time is over, after which a fetch that never ends
 * lets the lease run out and another node take the key over.
 */
public final class ClusterLease {

  private final String key;
  private final ClusterCoalescer coalescer;
  private final AtomicBoolean ended = new AtomicBoolean();
  /** {@link System#nanoTime()} after which it is no longer renewed. */
  private final long renewUntil;

  ClusterLease(String key, ClusterCoalescer coalescer, long renewUntil) {
    this.key = key;
    this.coalescer = coalescer;
    this.renewUntil = renewUntil;
  }

  /**
   * The entry was stored: waiters are told once {@code written} reports it readable in the
   * shared tiers, or told to contend again when it is not.
   */
  public void filled(CompletableFuture<Boolean> written) {
    written.whenComplete((ok, error) ->
        end(Boolean.TRUE.equals(ok) ? Notice.FILLED : Notice.ABANDONED));
  }

  /** The response was not storable: waiters go to the origin. */
  public void passed() {
    end(Notice.PASS);
  }

  /** Nothing was stored (an error, a reset): another node may fetch. */
  public void abandoned() {
    end(Notice.ABANDONED);
  }

  void renewLater() {
    coalescer.renewLater(this::renew);
  }

  private void renew() {
    if (ended.get() || System.nanoTime() - renewUntil >= 0) {
      return;
    }
    coalescer.renew(key).thenAccept(renewed -> {
      if (renewed) {
        renewLater();
      }
    });
  }

  void end(Notice notice) {
    if (ended.compareAndSet(false, true)) {
      coalescer.release(key, notice);
    }
  }
}
