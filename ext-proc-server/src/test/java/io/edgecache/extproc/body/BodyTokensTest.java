package io.edgecache.extproc.body;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.extproc.testing.ManualClock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The signed permissions that let a rerouted request through to the body endpoint. */
class BodyTokensTest {

  private static final byte[] SECRET = "a secret of more than sixteen bytes".getBytes(
      StandardCharsets.UTF_8);
  private final ManualClock clock = new ManualClock(Instant.parse("2026-11-22T00:00:00Z"));
  private final BodyTokens tokens = new BodyTokens(SECRET, clock);

  @TempDir Path dir;

  @Test
  void aTokenGrantsWhatItWasIssuedFor() {
    String token = tokens.issue("http://example.test/a b.bin?x=1", "1700000000000-42",
        "edgecache; hit; ttl=5");
    BodyTokens.Grant grant = tokens.verify(token).orElseThrow();
    assertEquals("http://example.test/a b.bin?x=1", grant.key());
    assertEquals("1700000000000-42", grant.version());
    assertEquals("edgecache; hit; ttl=5", grant.cacheStatus());
  }

  @Test
  void tamperedForeignMalformedOrExpiredTokensGrantNothing() {
    String token = tokens.issue("http://example.test/a", "1-1", "edgecache; hit");
    String[] parts = token.split("\\.");
    String otherKey = tokens.issue("http://example.test/b", "1-1", "edgecache; hit")
        .split("\\.")[0];
    assertTrue(tokens.verify(otherKey + token.substring(parts[0].length())).isEmpty(),
        "another key under this signature");
    assertTrue(new BodyTokens("another secret, also long enough".getBytes(
        StandardCharsets.UTF_8), clock).verify(token).isEmpty(), "another node's secret");
    for (String malformed : new String[] {null, "", "a.b.c.d", "a.b.c.d.e", "a.b.c.d.e.f.g",
        "!!.!!.!!.1.!!.!!"}) {
      assertTrue(tokens.verify(malformed).isEmpty(), String.valueOf(malformed));
    }
    clock.advance(BodyTokens.LIFETIME.plus(Duration.ofMillis(1)));
    assertTrue(tokens.verify(token).isEmpty(), "expired");
  }

  @Test
  void aTokenServesOneRequestWithinSeconds() {
    assertTrue(BodyTokens.LIFETIME.compareTo(Duration.ofSeconds(5)) <= 0, "a leaked token lives "
        + BodyTokens.LIFETIME);
    String token = tokens.issue("http://example.test/a", "1-1", "edgecache; hit");
    String sameBodySameInstant = tokens.issue("http://example.test/a", "1-1", "edgecache; hit");
    assertTrue(tokens.redeem(token).isPresent());
    assertTrue(tokens.redeem(token).isEmpty(), "replayed");
    assertTrue(tokens.redeem(sameBodySameInstant).isPresent(), "another request's token for the same body");

    String leaked = tokens.issue("http://example.test/a", "1-1", "edgecache; hit");
    clock.advance(BodyTokens.LIFETIME.plus(Duration.ofMillis(1)));
    assertTrue(tokens.redeem(leaked).isEmpty(), "replayed after its lifetime, never used");
  }

  @Test
  void nodesSharingASecretFileAcceptEachOthersTokens() throws IOException {
    Path file = Files.writeString(dir.resolve("secret"), "  shared-pool-secret-0123456789\n");
    BodyTokens nodeA = BodyTokens.fromSecretFile("tiers.bodyTokenSecretFile", file);
    BodyTokens nodeB = BodyTokens.fromSecretFile("tiers.bodyTokenSecretFile", file);
    String token = nodeA.issue("http://example.test/v.mp4", "1-1", "edgecache; hit");
    assertEquals("http://example.test/v.mp4", nodeB.verify(token).orElseThrow().key());
    assertTrue(BodyTokens.random().verify(token).isEmpty(), "a node with its own secret");

    Path tooShort = Files.writeString(dir.resolve("short"), "short\n");
    IOException e = assertThrows(IOException.class,
        () -> BodyTokens.fromSecretFile("tiers.bodyTokenSecretFile", tooShort));
    assertTrue(e.getMessage().startsWith("tiers.bodyTokenSecretFile: the secret in "),
        e.getMessage());
    IOException missing = assertThrows(IOException.class,
        () -> BodyTokens.fromSecretFile("tiers.bodyTokenSecretFile", dir.resolve("none")));
    assertTrue(missing.getMessage().startsWith("tiers.bodyTokenSecretFile: cannot read "),
        missing.getMessage());
  }
}
