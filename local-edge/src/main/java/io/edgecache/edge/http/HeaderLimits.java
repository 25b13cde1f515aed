package io.edgecache.edge.http;

/**
 * Envoy's default bounds on a message's headers, as local-edge applies them to what clients
 * send (431 beyond them, as Envoy's HTTP/1 codec answers) and to what a processor's header
 * mutation makes.
 */
public final class HeaderLimits {

  /** The HTTP connection manager's {@code max_headers_count} default. */
  public static final int MAX_HEADERS_COUNT = 100;

  /**
   * ... and {@code max_request_headers_kb}'s, 60 KiB: the request line and headers together,
   * which also bounds response headers.
   */
  public static final int MAX_HEADERS_BYTES = 60 * 1024;

  private HeaderLimits() {}
}
