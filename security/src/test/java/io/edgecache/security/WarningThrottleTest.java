package io.edgecache.security;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class WarningThrottleTest {

  @Test
  void letsOneWarningThroughPerIntervalAndCountsTheRestIntoTheNext() {
    Logger logger = Logger.getAnonymousLogger();
    logger.setUseParentHandlers(false);
    List<String> logged = new ArrayList<>();
    logger.addHandler(new Handler() {
      @Override public void publish(LogRecord record) {
        logged.add(record.getMessage());
      }
      @Override public void flush() {}
      @Override public void close() {}
    });
    AtomicLong now = new AtomicLong(1_000);
    WarningThrottle throttle = new WarningThrottle(logger, Duration.ofMinutes(1), now::get);

    for (int i = 0; i < 100; i++) {
      int n = i;
      throttle.warn(() -> "bad policy " + n);
    }
    assertEquals(List.of("bad policy 0"), logged);

    now.addAndGet(Duration.ofMinutes(1).toNanos());
    throttle.warn(() -> "bad policy 100");
    assertEquals(List.of("bad policy 0",
        "bad policy 100 (99 more such warnings held back before this one)"), logged);
  }
}
