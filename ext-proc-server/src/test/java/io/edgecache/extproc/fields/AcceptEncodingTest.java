package io.edgecache.extproc.fields;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AcceptEncodingTest {

  @Test
  void aCodingIsAcceptedOnlyWhenListedOrCoveredByAStar() {
    assertTrue(AcceptEncoding.accepts("gzip, br", "br"));
    assertFalse(AcceptEncoding.accepts("gzip, br", "zstd"));
    assertTrue(AcceptEncoding.accepts("gzip, *", "zstd"));
    assertFalse(AcceptEncoding.accepts("gzip, *;q=0", "zstd"));
    assertTrue(AcceptEncoding.accepts("x-gzip", "gzip"));
    assertTrue(AcceptEncoding.accepts(null, "zstd"));
  }

  @Test
  void qZeroRefusesEvenIdentity() {
    assertFalse(AcceptEncoding.accepts("gzip;q=0, br", "gzip"));
    assertFalse(AcceptEncoding.accepts("gzip;q=0.000", "gzip"));
    assertTrue(AcceptEncoding.accepts("gzip", null));
    assertTrue(AcceptEncoding.accepts("", ""));
    assertFalse(AcceptEncoding.accepts("gzip, identity;q=0", null));
    assertFalse(AcceptEncoding.accepts("gzip, *;q=0", null));
    assertFalse(AcceptEncoding.accepts("identity", "zstd"));
  }
}
