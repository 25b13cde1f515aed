package io.edgecache.controlplane;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256 of text, for the places of the control plane that digest a string. */
public final class Sha256 {
  private Sha256() {}

  /** The SHA-256 digest of {@code text}'s UTF-8 bytes. */
  public static byte[] ofUtf8(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
