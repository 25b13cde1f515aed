package io.edgecache.controlplane.purge;

import io.edgecache.controlplane.config.PurgeSettings;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Finds the configured token an {@code Authorization: Bearer ...} value presents. Secrets are
 * compared as SHA-256 digests with {@link MessageDigest#isEqual} against every token, so the
 * time taken says nothing about how much of a secret matched or which token it was close to.
 */
final class Authenticator {

  private record Known(PurgeSettings.Token token, byte[] digest) {}

  private final List<Known> tokens;

  Authenticator(List<PurgeSettings.Token> tokens) {
    this.tokens = tokens.stream().map(t -> new Known(t, digest(t.secret()))).toList();
  }

  /** The token {@code authorization} presents; 401 when it presents none or an unknown one. */
  PurgeSettings.Token authenticate(String authorization) throws AdminError {
    if (authorization == null || authorization.isBlank()) {
      throw AdminError.unauthenticated("missing Authorization: Bearer <token>");
    }
    String value = authorization.trim();
    if (value.length() < 7 || !value.substring(0, 7).equalsIgnoreCase("bearer ")) {
      throw AdminError.unauthenticated("Authorization must be 'Bearer <token>'");
    }
    byte[] presented = digest(value.substring(7).trim());
    PurgeSettings.Token match = null;
    for (Known known : tokens) {
      if (MessageDigest.isEqual(known.digest(), presented)) {
        match = known.token();
      }
    }
    if (match == null) {
      throw AdminError.unauthenticated("unknown token");
    }
    return match;
  }

  private static byte[] digest(String secret) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
