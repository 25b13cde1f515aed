package io.edgecache.bench.extproc;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.util.function.LongSupplier;

/**
 * Heap the servers in this JVM have allocated: the running allocation totals of every live
 * thread except the driver's ({@link ServerCpu#DRIVER_PREFIX} threads and the load loop's).
 * Servers run one at a time, so a reading taken around one server's run is that server's. A
 * cheaper way to tell two builds of a server apart than CPU time on a noisy machine: the bytes
 * a request allocates barely move with the machine's load. Threads that end during a run take
 * their totals with them; the servers' event loops live as long as the server.
 */
final class ServerAllocation implements LongSupplier {

  private final com.sun.management.ThreadMXBean threads =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  private final long loadThread = Thread.currentThread().getId();

  @Override
  public long getAsLong() {
    long total = 0;
    for (ThreadInfo thread : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (thread != null && thread.getThreadId() != loadThread
          && !thread.getThreadName().startsWith(ServerCpu.DRIVER_PREFIX)) {
        total += Math.max(0, threads.getThreadAllocatedBytes(thread.getThreadId()));
      }
    }
    return total;
  }
}
