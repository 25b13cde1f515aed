package io.edgecache.controlplane.kubernetes;

import io.edgecache.controlplane.config.EdgecacheConfig.HostPort;
import io.edgecache.controlplane.config.EdgecacheConfig.KubernetesService;
import io.edgecache.controlplane.xds.ServiceEndpoints;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The ready endpoints of the Kubernetes Services that clusters name, from their EndpointSlices
 * (label {@code kubernetes.io/service-name}), kept current by one fabric8 informer per Service.
 * Every change of a watched port's endpoints runs {@code onChange} (the control plane then
 * publishes a snapshot, so the change reaches Envoy as EDS). The client is created on the first
 * Service to watch, so a configuration without Kubernetes clusters never talks to an API server.
 */
public final class EndpointSliceWatcher implements ServiceEndpoints, AutoCloseable {
  private static final Logger log = Logger.getLogger(EndpointSliceWatcher.class.getName());
  static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
  /** How long a new Service's first list may take before the configuration is published anyway. */
  private static final Duration FIRST_LIST_WAIT = Duration.ofSeconds(10);

  private record ServiceKey(String namespace, String service) {}

  private final Supplier<KubernetesClient> clientFactory;
  private final Runnable onChange;
  private KubernetesClient client;
  private final Map<ServiceKey, SharedIndexInformer<EndpointSlice>> informers = new HashMap<>();
  private volatile Set<KubernetesService> watched = Set.of();
  private final Map<KubernetesService, List<HostPort>> endpoints = new ConcurrentHashMap<>();

  public EndpointSliceWatcher(Supplier<KubernetesClient> clientFactory, Runnable onChange) {
    this.clientFactory = clientFactory;
    this.onChange = onChange;
  }

  /**
   * Watches exactly {@code services}: starts informers for new Services (waiting up to 10 s for
   * their first list, so a published snapshot has their endpoints) and stops the others.
   */
  public synchronized void watch(Set<KubernetesService> services) {
    watched = Set.copyOf(services);
    endpoints.keySet().retainAll(watched);
    Set<ServiceKey> keys = new HashSet<>();
    services.forEach(s -> keys.add(new ServiceKey(s.namespace(), s.service())));
    informers.entrySet().removeIf(e -> {
      if (keys.contains(e.getKey())) {
        return false;
      }
      e.getValue().stop();
      return true;
    });
    for (ServiceKey key : keys) {
      if (!informers.containsKey(key)) {
        informers.put(key, start(key));
      }
      recompute(key, false);
    }
  }

  @Override
  public List<HostPort> endpoints(KubernetesService service) {
    return endpoints.getOrDefault(service, List.of());
  }

  private SharedIndexInformer<EndpointSlice> start(ServiceKey key) {
    if (client == null) {
      client = clientFactory.get();
    }
    SharedIndexInformer<EndpointSlice> informer = client.discovery().v1().endpointSlices()
        .inNamespace(key.namespace())
        .withLabel(SERVICE_NAME_LABEL, key.service())
        .runnableInformer(0);
    // Keep retrying (with fabric8's backoff) also when the first list fails: an API server that
    // is unreachable or an RBAC binding that is missing now may be fixed without a restart.
    AtomicReference<Throwable> lastError = new AtomicReference<>();
    informer.exceptionHandler((started, error) -> {
      lastError.set(error);
      log.fine(() -> "EndpointSlices of service " + key.namespace() + "/" + key.service() + ": " + error);
      return true;
    });
    informer.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(EndpointSlice slice) {
        recompute(key, true);
      }

      @Override
      public void onUpdate(EndpointSlice before, EndpointSlice after) {
        recompute(key, true);
      }

      @Override
      public void onDelete(EndpointSlice slice, boolean finalStateUnknown) {
        recompute(key, true);
      }
    });
    try {
      informer.start().toCompletableFuture().get(FIRST_LIST_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      // The informer keeps retrying; until it lists, the Service's clusters have no endpoints.
      Throwable cause = lastError.get() != null ? lastError.get() : e;
      log.warning(() -> "cannot list the EndpointSlices of service " + key.namespace() + "/"
          + key.service() + " yet (" + cause + "); its clusters have no endpoints until then");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return informer;
  }

  /** Recomputes the watched ports of {@code key}'s Service; runs onChange when one changed. */
  private void recompute(ServiceKey key, boolean notify) {
    SharedIndexInformer<EndpointSlice> informer;
    synchronized (this) {
      informer = informers.get(key);
    }
    if (informer == null) {
      return;
    }
    List<EndpointSlice> slices = informer.getStore().list();
    boolean changed = false;
    for (KubernetesService service : watched) {
      if (service.namespace().equals(key.namespace()) && service.service().equals(key.service())) {
        List<HostPort> now = readyEndpoints(slices, service.port());
        changed |= !now.equals(endpoints.put(service, now));
      }
    }
    if (changed && notify) {
      log.fine(() -> "endpoints of service " + key.namespace() + "/" + key.service() + " changed");
      onChange.run();
    }
  }

  /**
   * The addresses of {@code slices}' ready endpoints with the port named {@code port} (or whose
   * number it is), sorted. An endpoint without a ready condition counts as ready, as Kubernetes
   * documents; terminating ones are not ready; FQDN slices are skipped (Envoy's EDS takes IPs).
   */
  static List<HostPort> readyEndpoints(Collection<EndpointSlice> slices, String port) {
    Set<HostPort> found = new TreeSet<>(
        Comparator.comparing(HostPort::host).thenComparingInt(HostPort::port));
    for (EndpointSlice slice : slices) {
      if ("FQDN".equals(slice.getAddressType()) || slice.getPorts() == null || slice.getEndpoints() == null) {
        continue;
      }
      Integer number = null;
      for (EndpointPort p : slice.getPorts()) {
        if (port.equals(p.getName()) || port.equals(String.valueOf(p.getPort()))) {
          number = p.getPort();
          break;
        }
      }
      if (number == null) {
        continue;
      }
      for (Endpoint endpoint : slice.getEndpoints()) {
        boolean ready = endpoint.getConditions() == null || endpoint.getConditions().getReady() == null
            || endpoint.getConditions().getReady();
        if (ready && endpoint.getAddresses() != null && !endpoint.getAddresses().isEmpty()) {
          found.add(new HostPort(endpoint.getAddresses().get(0), number));
        }
      }
    }
    return List.copyOf(found);
  }

  @Override
  public synchronized void close() {
    informers.values().forEach(SharedIndexInformer::stop);
    informers.clear();
    if (client != null) {
      client.close();
    }
  }
}
