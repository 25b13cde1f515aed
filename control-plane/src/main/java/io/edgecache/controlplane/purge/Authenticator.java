package io.edgecache.controlplane.purge;

import io.edgecache.controlplane.Sha256;
import io.edgecache.controlplane.config.PurgeSettings;
import java.security.MessageDigest;
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
    this.tokens = tokens.stream().map(t -> new Known(t, Sha256.ofUtf8(t.secret()))).toList();
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
    byte[] presented = Sha256.ofUtf8(value.substring(7).trim());
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
}
