package io.edgecache.extproc.concurrent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DeadlinesTest {

  private final ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);

  DeadlinesTest() {
    scheduler.setRemoveOnCancelPolicy(true);
  }

  @AfterEach
  void stop() {
    scheduler.shutdownNow();
  }

  @Test
  void anAnswerInTimeIsPassedOnAndItsTimerDropped() throws Exception {
    CompletableFuture<String> source = new CompletableFuture<>();
    CompletableFuture<String> bounded =
        Deadlines.orElse(source, "fallback", Duration.ofMinutes(5), scheduler);
    source.complete("answer");
    assertEquals("answer", bounded.get(10, TimeUnit.SECONDS));
    assertEquals(0, scheduler.getQueue().size());
  }

  @Test
  void noAnswerInTimeGivesTheFallbackAndLeavesTheSourceAlone() throws Exception {
    CompletableFuture<String> shared = new CompletableFuture<>();
    CompletableFuture<String> bounded =
        Deadlines.orElse(shared, "fallback", Duration.ofMillis(1), scheduler);
    assertEquals("fallback", bounded.get(10, TimeUnit.SECONDS));
    assertFalse(shared.isDone()); // others may still wait on it
  }

  @Test
  void withinFailsWithATimeoutAndPassesFailuresOn() throws Exception {
    CompletableFuture<String> never = new CompletableFuture<>();
    ExecutionException late = assertThrows(ExecutionException.class,
        () -> Deadlines.within(never, Duration.ofMillis(1), scheduler)
            .get(10, TimeUnit.SECONDS));
    assertInstanceOf(TimeoutException.class, late.getCause());

    CompletableFuture<String> failing = new CompletableFuture<>();
    CompletableFuture<String> bounded =
        Deadlines.within(failing, Duration.ofMinutes(5), scheduler);
    failing.completeExceptionally(new IllegalStateException("boom"));
    ExecutionException failed =
        assertThrows(ExecutionException.class, () -> bounded.get(10, TimeUnit.SECONDS));
    assertInstanceOf(IllegalStateException.class, failed.getCause());
  }
}
