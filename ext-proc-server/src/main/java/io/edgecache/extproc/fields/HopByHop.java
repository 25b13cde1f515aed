package io.edgecache.extproc.fields;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Connection-specific header fields (RFC 9110 §7.6.1): they describe one hop, so a cache
 * must not store or replay them.
 */
public final class HopByHop {

  private static final Set<String> ALWAYS =
      Set.of(
          "connection",
          "keep-alive",
          "proxy-connection",
          "te",
          "trailer",
          "transfer-encoding",
          "upgrade",
          "proxy-authenticate",
          "proxy-authorization");

  private HopByHop() {}

  /** The fields to drop from {@code headers}: the fixed set plus those Connection names. */
  public static Set<String> fieldsToDrop(HeaderList headers) {
    Set<String> drop = new HashSet<>(ALWAYS);
    String connection = headers.joined("connection");
    if (connection != null) {
      for (String option : connection.split(",")) {
        String name = option.trim().toLowerCase(Locale.ROOT);
        if (!name.isEmpty()) {
          drop.add(name);
        }
      }
    }
    return drop;
  }
}
