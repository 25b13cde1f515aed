package io.edgecache.edge;

import io.edgecache.admin.AdminPages;
import io.edgecache.edge.extproc.ProcessorStats;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * local-edge's admin port, a small part of Envoy's: {@code GET /stats} prints the ext_proc
 * filter's counters in Envoy's text format, so fail-opens are visible where an Envoy operator
 * would look. Served by {@link AdminPages}, off the event loops.
 */
final class EdgeAdmin implements AutoCloseable {
  private final AdminPages pages;

  EdgeAdmin(InetSocketAddress address, ProcessorStats stats) throws IOException {
    pages = AdminPages.builder()
        .page("/stats", "text/plain; charset=utf-8",
            out -> out.write(stats.render().getBytes(StandardCharsets.UTF_8)))
        .start(new InetSocketAddress(address.getHostString(), address.getPort()),
            "local-edge-admin");
  }

  int port() {
    return pages.port();
  }

  @Override
  public void close() {
    pages.close();
  }
}
