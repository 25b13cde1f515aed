package io.edgecache.extproc.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The breaker's budget is timed by the scheduler it is given; failures open it. */
class CircuitBreakerTest {

  private final ManualClock clock = new ManualClock(Instant.parse("2026-11-22T00:00:00Z"));
  private final ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1);

  CircuitBreakerTest() {
    timers.setRemoveOnCancelPolicy(true);
  }

  @AfterEach
  void stop() {
    timers.shutdownNow();
  }

  @Test
  void aCallPastItsBudgetFailsOnTheSchedulerAndLeavesTheCallAlone() throws Exception {
    CircuitBreaker breaker = new CircuitBreaker(2, Duration.ofSeconds(5), clock, timers);
    CompletableFuture<String> stalled = new CompletableFuture<>();
    CircuitBreaker.Attempt<String> attempt =
        breaker.call(() -> stalled, Duration.ofMillis(1)).get(10, TimeUnit.SECONDS);
    assertTrue(attempt.made());
    assertInstanceOf(TimeoutException.class, attempt.failure());
    assertFalse(stalled.isDone(), "the tier's own future is not completed by the budget");
    assertEquals(CircuitBreaker.State.CLOSED, breaker.state(), "one failure of two");

    breaker.call(() -> stalled, Duration.ofMillis(1)).get(10, TimeUnit.SECONDS);
    assertEquals(CircuitBreaker.State.OPEN, breaker.state());
    assertFalse(breaker.call(() -> stalled, Duration.ofMillis(1)).get(10, TimeUnit.SECONDS)
        .made(), "kept back while open");
  }

  @Test
  void anAnswerWithinTheBudgetDropsItsTimerAndClosesTheBreaker() throws Exception {
    CircuitBreaker breaker = new CircuitBreaker(1, Duration.ofSeconds(5), clock, timers);
    breaker.onFailure();
    assertEquals(CircuitBreaker.State.OPEN, breaker.state());
    clock.advance(Duration.ofSeconds(5));

    CompletableFuture<String> answer = new CompletableFuture<>();
    CompletableFuture<CircuitBreaker.Attempt<String>> probe =
        breaker.call(() -> answer, Duration.ofMinutes(5));
    answer.complete("value");
    assertEquals("value", probe.get(10, TimeUnit.SECONDS).result());
    assertEquals(CircuitBreaker.State.CLOSED, breaker.state());
    assertEquals(0, timers.getQueue().size(), "no timer left behind");
  }
}
