package io.edgecache.extproc.concurrent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SerialExecutorTest {

  private final ExecutorService pool = Executors.newFixedThreadPool(4);

  @AfterEach
  void stop() {
    pool.shutdownNow();
  }

  @Test
  void tasksFromManyThreadsRunOneAtATimeInTheOrderEachThreadSubmitted() throws Exception {
    SerialExecutor serial = new SerialExecutor(pool);
    AtomicInteger running = new AtomicInteger();
    AtomicInteger mostAtOnce = new AtomicInteger();
    List<Integer> seen = new ArrayList<>(); // unsynchronised: the executor must confine it
    int perThread = 2_000;
    CountDownLatch done = new CountDownLatch(4 * perThread);
    CountDownLatch start = new CountDownLatch(1);
    for (int t = 0; t < 4; t++) {
      int thread = t;
      pool.execute(() -> {
        awaitQuietly(start);
        for (int i = 0; i < perThread; i++) {
          int value = thread * perThread + i;
          Runnable task = () -> {
            mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
            seen.add(value);
            running.decrementAndGet();
            done.countDown();
          };
          if (i % 2 == 0) {
            serial.execute(task);
          } else {
            serial.executeHere(task);
          }
        }
      });
    }
    start.countDown();
    assertTrue(done.await(30, TimeUnit.SECONDS));
    CompletableFuture<List<Integer>> snapshot = new CompletableFuture<>();
    serial.execute(() -> snapshot.complete(List.copyOf(seen)));
    List<Integer> all = snapshot.get(10, TimeUnit.SECONDS);
    assertEquals(1, mostAtOnce.get());
    assertEquals(4 * perThread, all.size());
    for (int t = 0; t < 4; t++) {
      int thread = t;
      List<Integer> mine = all.stream().filter(v -> v / perThread == thread).toList();
      for (int i = 1; i < mine.size(); i++) {
        assertTrue(mine.get(i - 1) < mine.get(i), "thread " + thread + " out of order");
      }
    }
  }

  @Test
  void executeHereRunsOnTheCallerWhenIdleAndExecuteHopsToTheDelegate() throws Exception {
    SerialExecutor serial = new SerialExecutor(pool);
    Thread caller = Thread.currentThread();
    List<Thread> ranOn = new ArrayList<>();
    serial.executeHere(() -> ranOn.add(Thread.currentThread()));
    assertSame(caller, ranOn.get(0));

    CompletableFuture<Thread> hopped = new CompletableFuture<>();
    serial.execute(() -> hopped.complete(Thread.currentThread()));
    assertNotSame(caller, hopped.get(10, TimeUnit.SECONDS));
  }

  @Test
  void aFailingTaskDoesNotStopTheOnesAfterIt() throws Exception {
    SerialExecutor serial = new SerialExecutor(pool);
    CompletableFuture<Boolean> after = new CompletableFuture<>();
    serial.executeHere(() -> {
      throw new IllegalStateException("expected by the test");
    });
    serial.executeHere(() -> after.complete(true));
    assertTrue(after.get(10, TimeUnit.SECONDS));
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
