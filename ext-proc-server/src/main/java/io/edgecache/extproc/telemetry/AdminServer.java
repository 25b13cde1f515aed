package io.edgecache.extproc.telemetry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.edgecache.admin.AdminPages;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The cache node's admin port: {@code /metrics} (Prometheus text format), {@code /stats}
 * (JSON for humans: outcomes, hit ratio, tiers, configuration version), {@code /healthz} (the
 * process answers) and {@code /readyz} (it takes traffic: 503 with the reason while starting or
 * draining, for probes that cannot use the ext_proc port's gRPC health checks), served by {@link AdminPages} (non-blocking, bounded), away from the ext_proc transport threads.
 */
public final class AdminServer implements AutoCloseable {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final byte[] OK = "ok\n".getBytes(StandardCharsets.UTF_8);

  private final AdminPages pages;

  /**
   * @param listen address to bind (port 0 for an ephemeral one)
   * @param telemetry where /metrics comes from
   * @param stats builds the /stats document
   * @param unavailableBecause why the node takes no traffic now, null while it does
   */
  public AdminServer(InetSocketAddress listen, Telemetry telemetry,
      Supplier<Map<String, Object>> stats, Supplier<String> unavailableBecause)
      throws IOException {
    pages = AdminPages.builder()
        .page("/metrics", "text/plain; version=0.0.4", telemetry::writePrometheus)
        .page("/stats", "application/json",
            out -> out.write(JSON.writeValueAsBytes(stats.get())))
        .page("/healthz", "text/plain", out -> out.write(OK))
        .probe("/readyz", unavailableBecause)
        .start(listen, "edgecache-admin");
  }

  public int port() {
    return pages.port();
  }

  @Override
  public void close() {
    pages.close();
  }
}
