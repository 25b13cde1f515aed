package io.edgecache.tests;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waiting for a condition the test cannot be told about: polls it, with a deadline. */
final class Poll {

  private Poll() {}

  /** Returns once {@code done} holds; fails naming {@code what} when it has not within the bound. */
  static void until(String what, Duration within, BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + ": not within " + within);
      }
      Thread.sleep(10);
    }
  }
}
