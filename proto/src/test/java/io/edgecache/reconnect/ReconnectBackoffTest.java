package io.edgecache.reconnect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ReconnectBackoffTest {

  @Test
  void doublesFromFirstUpToTheCapWithinHalfToAllOfEachCeiling() {
    ReconnectBackoff lowest = new ReconnectBackoff(Duration.ofMillis(100), Duration.ofSeconds(1), () -> 0.0);
    ReconnectBackoff highest = new ReconnectBackoff(Duration.ofMillis(100), Duration.ofSeconds(1), () -> 0.999999);
    long[] ceilings = {100, 200, 400, 800, 1000, 1000, 1000};
    for (long ceiling : ceilings) {
      assertEquals(ceiling / 2, lowest.next().toMillis());
      assertEquals(ceiling - 1, highest.next().toMillis());
    }
  }

  @Test
  void manyFailuresStayAtTheCapAndResetStartsOver() {
    ReconnectBackoff backoff = new ReconnectBackoff(Duration.ofMillis(100), Duration.ofSeconds(1), () -> 0.0);
    for (int i = 0; i < 100; i++) {
      backoff.next();
    }
    assertEquals(500, backoff.next().toMillis());
    backoff.reset();
    assertEquals(50, backoff.next().toMillis());
  }

  @Test
  void refusesACapBelowTheFirstWait() {
    assertThrows(IllegalArgumentException.class,
        () -> new ReconnectBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1), () -> 0.5));
  }
}
