package io.edgecache.extproc.concurrent;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs tasks one at a time in submission order, like grpc-java's {@code SerializingExecutor}:
 * whatever one task changes the next sees, so the state it guards needs no lock. Tasks
 * submitted with {@link #execute} are drained on {@code delegate} (a continuation never runs
 * on the thread that completed a future: a tier, Redis, a timer or another exchange);
 * {@link #executeHere} drains on the calling thread when idle, which spares the gRPC transport
 * thread a hop per message on the hit path.
 */
public final class SerialExecutor implements Executor {

  private static final Logger log = Logger.getLogger(SerialExecutor.class.getName());

  private final Executor delegate;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  /** Whether a thread is draining {@link #tasks}; only that thread runs tasks. */
  private final AtomicBoolean draining = new AtomicBoolean();

  public SerialExecutor(Executor delegate) {
    this.delegate = delegate;
  }

  /** Queues {@code task}; it runs on the delegate unless a drain already under way takes it. */
  @Override
  public void execute(Runnable task) {
    tasks.add(task);
    if (draining.compareAndSet(false, true)) {
      delegate.execute(this::drain);
    }
  }

  /** Runs {@code task} right here when no other thread is draining, else queues it. */
  public void executeHere(Runnable task) {
    if (draining.compareAndSet(false, true)) {
      if (tasks.isEmpty()) {
        run(task); // nothing queued before it: the hit path allocates no queue node
      } else {
        tasks.add(task);
      }
      drain();
      return;
    }
    tasks.add(task);
    if (draining.compareAndSet(false, true)) {
      drain();
    }
  }

  /** Runs the queue; called by the thread that set {@link #draining}, which it releases. */
  private void drain() {
    do {
      Runnable task;
      while ((task = tasks.poll()) != null) {
        run(task);
      }
      draining.set(false);
      // A task queued after the last poll but before the flag dropped is ours to run.
    } while (!tasks.isEmpty() && draining.compareAndSet(false, true));
  }

  private static void run(Runnable task) {
    try {
      task.run();
    } catch (RuntimeException e) {
      log.log(Level.SEVERE, "serialised task failed", e);
    }
  }
}
