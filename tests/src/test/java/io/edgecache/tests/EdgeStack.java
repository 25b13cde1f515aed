package io.edgecache.tests;

import io.edgecache.edge.LocalEdge;
import io.edgecache.edge.config.EnvoyBootstrapLoader;
import io.edgecache.edge.config.LocalEdgeConfig;
import io.edgecache.edge.config.RouteConfig;
import io.edgecache.extproc.ExtProcServer;
import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.telemetry.Telemetry;
import io.edgecache.extproc.testing.ManualClock;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * A cache node as the quick start runs it, in-process: the ext_proc server (on a manual clock)
 * and local-edge with the ext_proc filter taken from {@code envoy/envoy.yaml}, routing
 * everything to a test origin.
 */
final class EdgeStack implements AutoCloseable {

  // Whole seconds, like the Date fields the origin sends, so ages come out exact.
  final ManualClock clock = new ManualClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  final ExtProcServer server;
  final LocalEdge edge;
  private final HttpClient client = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();

  private EdgeStack(ServerConfig serverConfig, String originUrl,
      UnaryOperator<ExternalProcessor> filterTweak, int extProcPortOverride, Telemetry telemetry)
      throws Exception {
    Started started = LoopbackPorts.retryOnClash(() ->
        tryStart(serverConfig, originUrl, filterTweak, extProcPortOverride, telemetry));
    server = started.server();
    edge = started.edge();
  }

  private record Started(ExtProcServer server, LocalEdge edge) {}

  /**
   * One start: the edge's port is chosen first so the server can send background refreshes to
   * it. The probe holds the port while the server binds its own ephemeral ports (which could
   * otherwise be given the same one) and is released just before the edge binds it; in that
   * short window another process may still take it: a failed start stops the server, and
   * {@link LoopbackPorts#retryOnClash} starts again when the port was lost.
   */
  private Started tryStart(ServerConfig serverConfig, String originUrl,
      UnaryOperator<ExternalProcessor> filterTweak, int extProcPortOverride, Telemetry telemetry)
      throws Exception {
    ServerSocket probe = LoopbackPorts.hold();
    int edgePort = probe.getLocalPort();
    ServerConfig config = serverConfig.withListen(new InetSocketAddress("127.0.0.1", 0))
        .withAdminListen(new InetSocketAddress("127.0.0.1", 0));
    if (config.refreshUrl() == null) {
      config = config.withRefreshUrl(URI.create("http://127.0.0.1:" + edgePort));
    }
    ExtProcServer started;
    try {
      started = ExtProcServer.start(config, clock, telemetry, "test");
    } finally {
      probe.close();
    }
    try {
      ExternalProcessor filter = filterTweak.apply(withPatientTimers(
          EnvoyBootstrapLoader.loadExternalProcessor(RepoPaths.envoyBootstrap())));
      LocalEdgeConfig.Builder edgeConfig = LocalEdgeConfig.builder()
          .listen("127.0.0.1", edgePort)
          .admin("127.0.0.1", 0) // /stats: the ext_proc filter's counters
          .externalProcessor(filter)
          .extProcTarget("127.0.0.1",
              extProcPortOverride > 0 ? extProcPortOverride : started.port());
      if (config.tls() != null) { // mTLS on the ext_proc hop: the node's certificate
        edgeConfig.tls(config.tls().files());
      }
      if (started.bodyPort() > 0) { // first, as in envoy/envoy.yaml: large hits go to it
        edgeConfig.route(RouteConfig.bodyRoute("http://127.0.0.1:" + started.bodyPort()));
      }
      return new Started(started,
          LocalEdge.start(edgeConfig.route(RouteConfig.of("*", "/", originUrl)).build()));
    } catch (Exception e) {
      started.close();
      throw e;
    }
  }

  /**
   * The filter with Envoy's timers stretched: these tests check cache semantics, and on a busy
   * two-core machine a GC pause must not turn a 200 ms message_timeout into a pass-through.
   */
  static ExternalProcessor withPatientTimers(ExternalProcessor filter) {
    return filter.toBuilder()
        .setMessageTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(5))
        .setMaxMessageTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(60))
        .build();
  }

  /** The quick-start stack with default server configuration. */
  static EdgeStack start(TestOrigin origin) throws Exception {
    return new EdgeStack(ServerConfig.defaults(), origin.url(), UnaryOperator.identity(), 0,
        Telemetry.disabled());
  }

  static EdgeStack start(TestOrigin origin, ServerConfig config) throws Exception {
    return new EdgeStack(config, origin.url(), UnaryOperator.identity(), 0, Telemetry.disabled());
  }

  /** A stack in front of any origin at {@code originUrl}. */
  static EdgeStack start(String originUrl, ServerConfig config) throws Exception {
    return new EdgeStack(config, originUrl, UnaryOperator.identity(), 0, Telemetry.disabled());
  }

  /** A stack whose server reports to {@code telemetry}. */
  static EdgeStack start(TestOrigin origin, Telemetry telemetry) throws Exception {
    return new EdgeStack(ServerConfig.defaults(), origin.url(), UnaryOperator.identity(), 0, telemetry);
  }

  /**
   * A stack whose edge runs the ext_proc filter exactly as {@code envoy/envoy.yaml} ships it:
   * {@code message_timeout} 200 ms, so every answer the node is late with fails open.
   */
  static EdgeStack startWithShippedTimers(TestOrigin origin) throws Exception {
    ExternalProcessor shipped =
        EnvoyBootstrapLoader.loadExternalProcessor(RepoPaths.envoyBootstrap());
    return new EdgeStack(ServerConfig.defaults(), origin.url(), filter -> shipped, 0,
        Telemetry.disabled());
  }

  /** A stack whose edge points its ext_proc filter at {@code extProcPort}, with a tweak. */
  static EdgeStack startWithExtProcAt(TestOrigin origin, int extProcPort,
      UnaryOperator<ExternalProcessor> filterTweak) throws Exception {
    return new EdgeStack(ServerConfig.defaults(), origin.url(), filterTweak, extProcPort,
        Telemetry.disabled());
  }

  /**
   * Sends {@code count} GETs at once, with {@code headers} (alternating name, value), and waits
   * for all; the responses in no special order.
   */
  List<HttpResponse<String>> concurrentGets(int count, String path, String... headers)
      throws Exception {
    List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + path))
              .timeout(Duration.ofSeconds(60));
      for (int h = 0; h < headers.length; h += 2) {
        request.header(headers[h], headers[h + 1]);
      }
      pending.add(client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString()));
    }
    List<HttpResponse<String>> responses = new ArrayList<>();
    for (CompletableFuture<HttpResponse<String>> response : pending) {
      responses.add(response.get(60, TimeUnit.SECONDS));
    }
    return responses;
  }

  HttpResponse<String> get(String path, String... headers) throws IOException,
      InterruptedException {
    return send("GET", path, headers);
  }

  HttpResponse<String> send(String method, String path, String... headers)
      throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + edge.port() + path))
        .timeout(Duration.ofSeconds(30))
        .method(method, HttpRequest.BodyPublishers.noBody());
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() {
    edge.close();
    server.close();
  }
}
