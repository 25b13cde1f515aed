package io.edgecache.extproc.store.tier;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Names derived from a store key where the key itself is too long or has unsafe characters. */
public final class KeyDigest {

  private KeyDigest() {}

  /** The SHA-256 of the key's UTF-8 bytes, in lower-case hex. */
  public static String sha256Hex(String key) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha.digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
