package io.edgecache.controlplane.metrics;

import io.edgecache.admin.AdminPages;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * The control plane's scrape endpoint: {@code GET /metrics} in Prometheus text format, served by
 * {@link AdminPages} (non-blocking, bounded: the port is open to every pod for Prometheus).
 */
public final class MetricsServer implements AutoCloseable {

  private final AdminPages pages;

  public MetricsServer(InetSocketAddress listen, ControlPlaneMetrics metrics) throws IOException {
    pages = AdminPages.builder()
        .page("/metrics", "text/plain; version=0.0.4", metrics::writePrometheus)
        .start(listen, "control-plane-metrics");
  }

  public int port() {
    return pages.port();
  }

  @Override
  public void close() {
    pages.close();
  }
}
