package io.edgecache.controlplane;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256, for the places of the control plane that digest a string or bytes. */
public final class Sha256 {
  private Sha256() {}

  /** The SHA-256 digest of {@code text}'s UTF-8 bytes. */
  public static byte[] ofUtf8(String text) {
    return of(text.getBytes(StandardCharsets.UTF_8));
  }

  /** The SHA-256 digest of {@code bytes}. */
  public static byte[] of(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
