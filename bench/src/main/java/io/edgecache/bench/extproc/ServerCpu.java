package io.edgecache.bench.extproc;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.function.LongSupplier;

/**
 * CPU time the servers in this JVM have used: the process's CPU time (every thread, the JIT and
 * the collector included, as a server JVM would be charged) minus what the driver's own threads
 * used. The driver's threads are the ones named {@value #DRIVER_PREFIX} (its network event
 * loops) and the thread that runs the load loops. Servers run one at a time, so a reading taken
 * around one server's run is that server's cost; the collector's work for the driver's garbage
 * is charged to every server alike.
 */
final class ServerCpu implements LongSupplier {

  static final String DRIVER_PREFIX = "bench-driver";

  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  private final com.sun.management.OperatingSystemMXBean os =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private final long loadThread = Thread.currentThread().getId();

  @Override
  public long getAsLong() {
    long driver = threads.getThreadCpuTime(loadThread);
    for (ThreadInfo thread : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (thread != null && thread.getThreadName().startsWith(DRIVER_PREFIX)) {
        driver += Math.max(0, threads.getThreadCpuTime(thread.getThreadId()));
      }
    }
    return os.getProcessCpuTime() - driver;
  }
}
