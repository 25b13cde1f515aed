package io.edgecache.controlplane.xds;

import io.envoyproxy.controlplane.cache.ConfigWatcher;
import io.envoyproxy.controlplane.cache.DeltaResponse;
import io.envoyproxy.controlplane.cache.DeltaWatch;
import io.envoyproxy.controlplane.cache.DeltaXdsRequest;
import io.envoyproxy.controlplane.cache.Response;
import io.envoyproxy.controlplane.cache.Watch;
import io.envoyproxy.controlplane.cache.XdsRequest;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Stops a state-of-the-world NACK from bouncing: a NACK carries the last version the node
 * accepted, so the cache would answer it at once with the very version just rejected, and the
 * node and the server would trade it forever. This remembers the version of the last response
 * per node and type; a NACK of that response is handed to the cache as if the node held the
 * rejected version, so the next response is the next configuration. Entries are per node and
 * type and overwritten by each response, so they are bounded by the fleet.
 */
public final class NackHoldback implements ConfigWatcher, DiscoveryServerCallbacks {
  private record Sent(String nonce, String version) {}

  private final ConfigWatcher cache;
  private final Map<String, Sent> lastSent = new ConcurrentHashMap<>();

  public NackHoldback(ConfigWatcher cache) {
    this.cache = cache;
  }

  @Override
  public void onV3StreamResponse(long streamId, DiscoveryRequest request, DiscoveryResponse response) {
    lastSent.put(key(request), new Sent(response.getNonce(), response.getVersionInfo()));
  }

  @Override
  public void onV3StreamRequest(long streamId, DiscoveryRequest request) {}

  @Override
  public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {}

  @Override
  public Watch createWatch(boolean ads, XdsRequest request, Set<String> knownResourceNames,
      Consumer<Response> responseConsumer, boolean hasClusterChanged, boolean allowDefaultEmptyEdsUpdate) {
    XdsRequest effective = request;
    if (request.hasErrorDetail()) {
      Sent rejected = lastSent.get(key(request.v3Request()));
      if (rejected != null && rejected.nonce().equals(request.getResponseNonce())) {
        effective = XdsRequest.create(request.v3Request().toBuilder().setVersionInfo(rejected.version()).build());
      }
    }
    return cache.createWatch(ads, effective, knownResourceNames, responseConsumer, hasClusterChanged,
        allowDefaultEmptyEdsUpdate);
  }

  @Override
  public DeltaWatch createDeltaWatch(DeltaXdsRequest request, String requesterVersion,
      Map<String, String> resourceVersions, Set<String> pendingResources, boolean isWildcard,
      Consumer<DeltaResponse> responseConsumer, boolean hasClusterChanged) {
    // Delta NACKs do not bounce: the cache answers only resources whose versions changed.
    return cache.createDeltaWatch(request, requesterVersion, resourceVersions, pendingResources, isWildcard,
        responseConsumer, hasClusterChanged);
  }

  private static String key(DiscoveryRequest request) {
    return request.getNode().getId() + "\n" + request.getTypeUrl();
  }
}
