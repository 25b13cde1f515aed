package io.edgecache.controlplane.purge;

import io.edgecache.controlplane.config.PurgeSettings;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.List;
import java.util.logging.Logger;

/**
 * The control plane's purge side, assembled from its settings: the coordinator and its log,
 * the admin API (REST on its own port; gRPC services to add to the control plane's server), and
 * warming.
 */
public final class PurgeControl implements AutoCloseable {

  private static final Logger log = Logger.getLogger(PurgeControl.class.getName());

  private final PurgeCoordinator coordinator;
  private final PurgeAdmin admin;
  private final AdminHttpServer http;
  private final Warmer warmer;

  private PurgeControl(PurgeCoordinator coordinator, PurgeAdmin admin, AdminHttpServer http, Warmer warmer) {
    this.coordinator = coordinator;
    this.admin = admin;
    this.http = http;
    this.warmer = warmer;
  }

  /** Reopens the purge log and starts the REST admin API. */
  public static PurgeControl start(PurgeSettings settings, Clock clock) throws IOException {
    PurgeCoordinator coordinator = PurgeCoordinator.open(settings.logPath(), settings.retention(), clock);
    Warmer warmer = settings.edge().map(Warmer::new).orElse(null);
    PurgeAdmin admin = new PurgeAdmin(coordinator, warmer, new Authenticator(settings.tokens()),
        new RateLimiter(settings.rateLimit(), System::nanoTime));
    AdminHttpServer http;
    try {
      http = new AdminHttpServer(
          new InetSocketAddress(settings.adminListen().host(), settings.adminListen().port()), admin);
    } catch (IOException e) {
      coordinator.close();
      if (warmer != null) {
        warmer.close();
      }
      throw new IOException("purge admin API cannot listen on " + settings.adminListen() + ": " + e.getMessage(), e);
    }
    log.info(() -> "purge log " + settings.logPath() + "; admin API on " + settings.adminListen().host() + ":"
        + http.port());
    return new PurgeControl(coordinator, admin, http, warmer);
  }

  /** The gRPC services to serve next to xDS: the nodes' purge stream and the admin API. */
  public List<ServerServiceDefinition> grpcServices() {
    BindableService stream = new PurgeStreamService(coordinator);
    return List.of(stream.bindService(), PurgeAdminService.definition(admin));
  }

  public PurgeCoordinator coordinator() {
    return coordinator;
  }

  @Override
  public void close() {
    http.close();
    if (warmer != null) {
      warmer.close();
    }
    try {
      coordinator.close();
    } catch (IOException e) {
      log.warning(() -> "closing the purge log: " + e.getMessage());
    }
  }
}
