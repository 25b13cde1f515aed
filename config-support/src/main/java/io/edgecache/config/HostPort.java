package io.edgecache.config;

import java.net.InetSocketAddress;

/**
 * The one {@code host:port} grammar: {@code 127.0.0.1:8080}, {@code envoy:10000},
 * {@code [::1]:8080} (an IPv6 literal in brackets; {@link #host()} holds it without them; the
 * port is what follows the last colon, so {@code ::1:8080} is read as {@code [::1]:8080}, as
 * every process always has).
 * Port 0 is allowed here (an ephemeral listen port); fields that connect check for it.
 *
 * @param host a name or an IP literal, never blank, without IPv6 brackets
 * @param port 0 to 65535
 */
public record HostPort(String host, int port) {

  /** Parses {@code text}; a malformed value throws with the grammar's examples. */
  public static HostPort parse(String text) {
    String value = text.trim();
    int colon = value.lastIndexOf(':');
    if (colon > 0 && colon < value.length() - 1) {
      String host = value.substring(0, colon);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      try {
        int port = Integer.parseInt(value.substring(colon + 1));
        if (!host.isBlank() && port >= 0 && port <= 65535) {
          return new HostPort(host, port);
        }
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    throw new IllegalArgumentException(
        "'" + text + "' is not host:port (examples: 127.0.0.1:8080, envoy:10000, [::1]:8080)");
  }

  /** The address, not resolved: names are looked up when connecting or binding. */
  public InetSocketAddress unresolved() {
    return InetSocketAddress.createUnresolved(host, port);
  }
}
