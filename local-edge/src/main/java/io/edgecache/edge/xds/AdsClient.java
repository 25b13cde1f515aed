package io.edgecache.edge.xds;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import com.google.rpc.Code;
import com.google.rpc.Status;
import io.edgecache.edge.routing.RouteTable;
import io.edgecache.reconnect.ReconnectBackoff;
import io.edgecache.security.LogText;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * local-edge's ADS client, speaking state-of-the-world xDS as Envoy does: it subscribes to all
 * listeners and clusters, then to the route table of its listener (RDS) and the endpoints of its
 * EDS clusters. Every response is ACKed (its {@code version_info} and {@code nonce}) or NACKed
 * (the last accepted version, the nonce and an {@code error_detail}). A response is accepted only
 * if the resulting set of resources builds a route table; each complete table is handed to
 * {@code onTable}. A broken stream is reopened with the accepted versions after a jittered
 * backoff (from 100 ms, capped at 1 s, reset by the first response on a stream), so a restarted
 * control plane is followed within about a second: each attempt dials at once and waits for that
 * connection for one backoff step before it is abandoned for the next.
 */
public final class AdsClient implements AutoCloseable {
  private static final Logger log = Logger.getLogger(AdsClient.class.getName());

  /** Per resource type: what was last accepted, the last nonce seen and the names subscribed. */
  private static final class Subscription {
    String version = "";
    String nonce = "";
    Set<String> names = new TreeSet<>();
  }

  private final ManagedChannel channel;
  private final Node node;
  private final Optional<String> listenerName;
  private final Optional<ExternalProcessor> fallbackFilter;
  private final Consumer<RouteTable> onTable;
  private final CompletableFuture<RouteTable> firstTable = new CompletableFuture<>();
  private final ScheduledExecutorService reconnects = Executors.newSingleThreadScheduledExecutor(
      new ThreadFactoryBuilder().setNameFormat("ads-reconnect").setDaemon(true).build());
  private final Map<String, Subscription> subscriptions = new LinkedHashMap<>();
  private final ReconnectBackoff backoff = ReconnectBackoff.standard();
  private XdsResources accepted = XdsResources.EMPTY;
  private ClientCallStreamObserver<DiscoveryRequest> requests;
  /** The stream this client cancelled because the control plane was unreachable, if any. */
  private ClientCallStreamObserver<DiscoveryRequest> abandoned;
  private boolean closed;

  /**
   * @param listenerName the listener to serve; empty means the only one pushed
   * @param fallbackFilter the bootstrap's ext_proc filter, for listeners without one
   */
  public AdsClient(ManagedChannel channel, Node node, Optional<String> listenerName,
      Optional<ExternalProcessor> fallbackFilter, Consumer<RouteTable> onTable) {
    this.channel = channel;
    this.node = node;
    this.listenerName = listenerName;
    this.fallbackFilter = fallbackFilter;
    this.onTable = onTable;
    // Envoy's order: clusters before listeners, so routes find their clusters warm.
    for (String type : new String[] {XdsResources.CLUSTER, XdsResources.LISTENER, XdsResources.ROUTE,
        XdsResources.ENDPOINT}) {
      subscriptions.put(type, new Subscription());
    }
  }

  /** Opens the stream and subscribes; returns at once. */
  public synchronized void start() {
    openStream();
  }

  /** Completes with the first complete route table. */
  public CompletableFuture<RouteTable> firstTable() {
    return firstTable;
  }

  private void openStream() {
    if (closed) {
      return;
    }
    // The observer needs its own stream to tell its events from those of a replaced stream. It
    // is known before the call starts: a call failing fast (control plane down) may report
    // before streamAggregatedResources returns.
    AtomicReference<StreamObserver<DiscoveryRequest>> self = new AtomicReference<>();
    // The channel's own connect backoff grows past a minute; this client's decides, so the
    // channel dials now. Waiting for ready, the stream follows that dial: without it the stream
    // would fail at once on the channel's last failure (pick-first stays in TRANSIENT_FAILURE
    // until a connection is READY), losing a whole backoff step.
    channel.resetConnectBackoff();
    AggregatedDiscoveryServiceGrpc.newStub(channel).withWaitForReady().streamAggregatedResources(
        new ClientResponseObserver<DiscoveryRequest, DiscoveryResponse>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<DiscoveryRequest> stream) {
        self.set(stream);
        requests = stream; // under this client's lock: openStream holds it
      }

      @Override
      public void onNext(DiscoveryResponse response) {
        onResponse(self.get(), response);
      }

      @Override
      public void onError(Throwable t) {
        streamEnded(self.get(), t.toString());
      }

      @Override
      public void onCompleted() {
        streamEnded(self.get(), "closed by the server");
      }
    });
    ClientCallStreamObserver<DiscoveryRequest> attempt = requests;
    long window = backoff.next().toMillis();
    reconnects.schedule(() -> abandonIfUnreachable(attempt, window), window, TimeUnit.MILLISECONDS);
    subscriptions.values().forEach(sub -> sub.nonce = "");
    // In the subscriptions' (Envoy's) order, set once in the constructor.
    subscriptions.keySet().forEach(this::request);
  }

  /** Bounds an attempt's wait for its connection: past it, the next attempt. */
  private synchronized void abandonIfUnreachable(ClientCallStreamObserver<DiscoveryRequest> attempt,
      long window) {
    if (attempt == requests && !closed && channel.getState(false) != ConnectivityState.READY) {
      abandoned = attempt;
      attempt.cancel("control plane not reachable within " + window + " ms", null);
    }
  }

  private synchronized void onResponse(StreamObserver<DiscoveryRequest> stream, DiscoveryResponse response) {
    Subscription sub = subscriptions.get(response.getTypeUrl());
    if (stream != requests || sub == null) {
      return;
    }
    sub.nonce = response.getNonce();
    backoff.reset(); // the stream works
    try {
      XdsResources next = accepted.with(response.getTypeUrl(), response.getResourcesList());
      Optional<RouteTable> table = next.routeTable(listenerName, response.getVersionInfo(), fallbackFilter);
      Set<String> routeNames = next.routeNames(listenerName);
      accepted = next;
      sub.version = response.getVersionInfo();
      send(response.getTypeUrl(), sub, null);
      resubscribe(XdsResources.ROUTE, routeNames);
      resubscribe(XdsResources.ENDPOINT, next.endpointNames());
      table.ifPresent(this::publish);
    } catch (XdsRejection e) {
      log.warning(() -> "rejecting " + LogText.quote(response.getTypeUrl()) + " version "
          + LogText.quote(response.getVersionInfo()) + ": " + LogText.quote(e.getMessage()));
      send(response.getTypeUrl(), sub, e.getMessage());
    }
  }

  private void publish(RouteTable table) {
    onTable.accept(table);
    firstTable.complete(table);
  }

  /** Sends the first request of a type once there is something to ask for. */
  private void request(String type) {
    Subscription sub = subscriptions.get(type);
    boolean wildcard = type.equals(XdsResources.CLUSTER) || type.equals(XdsResources.LISTENER);
    if (wildcard || !sub.names.isEmpty()) {
      send(type, sub, null);
    }
  }

  private void resubscribe(String type, Set<String> names) {
    Subscription sub = subscriptions.get(type);
    if (!names.equals(sub.names)) {
      sub.names = names;
      send(type, sub, null);
    }
  }

  private void send(String type, Subscription sub, String error) {
    DiscoveryRequest.Builder request = DiscoveryRequest.newBuilder()
        .setNode(node)
        .setTypeUrl(type)
        .setVersionInfo(sub.version)
        .setResponseNonce(sub.nonce)
        .addAllResourceNames(sub.names);
    if (error != null) {
      request.setErrorDetail(Status.newBuilder().setCode(Code.INVALID_ARGUMENT_VALUE).setMessage(error));
    }
    requests.onNext(request.build());
  }

  private synchronized void streamEnded(StreamObserver<DiscoveryRequest> stream, String why) {
    if (stream != requests || closed) {
      return;
    }
    // An abandoned attempt has waited its backoff step already.
    long wait = stream == abandoned ? 0 : backoff.next().toMillis();
    log.warning(() -> "ADS stream ended (" + why + "); reconnecting in " + wait + " ms");
    reconnects.schedule(() -> {
      synchronized (this) {
        openStream();
      }
    }, wait, TimeUnit.MILLISECONDS);
  }

  @Override
  public synchronized void close() {
    closed = true;
    reconnects.shutdownNow();
    if (requests != null) {
      requests.onCompleted();
    }
  }
}
