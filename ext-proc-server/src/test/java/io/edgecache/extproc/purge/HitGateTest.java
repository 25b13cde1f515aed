package io.edgecache.extproc.purge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HitGateTest {

  private final AtomicLong nanos = new AtomicLong(1_000);

  private HitGate gate(Duration grace) {
    return new HitGate(false, grace, nanos::get);
  }

  private void advance(Duration by) {
    nanos.addAndGet(by.toNanos());
  }

  @Test
  void closedFromStartUntilTheFirstReplayEndsWithNoGrace() {
    HitGate gate = gate(Duration.ofSeconds(30));
    gate.streamLost(); // never caught up: no grace to run
    assertFalse(gate.isOpen());
    assertEquals(HitGate.State.CLOSED, gate.state());
    gate.open();
    assertTrue(gate.isOpen());
    assertFalse(gate.inGrace());
  }

  @Test
  void aDroppedStreamKeepsHitsForTheGraceThenClosesUntilReplayed() {
    HitGate gate = gate(Duration.ofSeconds(30));
    gate.open();
    gate.streamLost();
    advance(Duration.ofSeconds(29));
    assertTrue(gate.isOpen());
    assertTrue(gate.inGrace());
    assertEquals(HitGate.State.GRACE, gate.state());
    assertEquals(29.0, gate.secondsInGrace(), 0.001);

    advance(Duration.ofSeconds(1));
    assertFalse(gate.isOpen());
    assertFalse(gate.inGrace());
    assertEquals(0.0, gate.secondsInGrace());
    assertEquals(HitGate.State.CLOSED, gate.state());

    gate.open();
    assertTrue(gate.isOpen());
    assertEquals(HitGate.State.FOLLOWING, gate.state());
  }

  @Test
  void aStreamThatDropsAgainBeforeItsReplayKeepsTheFirstDeadline() {
    HitGate gate = gate(Duration.ofSeconds(30));
    gate.open();
    gate.streamLost();
    advance(Duration.ofSeconds(20));
    gate.streamLost(); // reconnected, dropped again before caught_up
    advance(Duration.ofSeconds(10));
    assertFalse(gate.isOpen(), "the grace counts from the first drop");
  }

  @Test
  void zeroGraceClosesTheMomentTheStreamDrops() {
    HitGate gate = gate(Duration.ZERO);
    gate.open();
    gate.streamLost();
    assertFalse(gate.isOpen());
    assertFalse(gate.inGrace());
  }
}
