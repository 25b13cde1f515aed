package io.edgecache.controlplane.xds;

import io.edgecache.security.LogText;
import io.envoyproxy.controlplane.server.DiscoveryServerCallbacks;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Reports the requests in which a node rejected (NACKed) a response: they carry
 * {@code error_detail}. Each NACK is logged once at WARNING, on one line, with the node, the
 * type and the node's message — all text the node chose, so escaped and cut short
 * ({@link LogText}) — and handed to the registered listeners; ACKs and new subscriptions pass
 * silently.
 */
public final class NackListener implements DiscoveryServerCallbacks {
  private static final Logger log = Logger.getLogger(NackListener.class.getName());

  /** A rejection: which node, which resource type, and why. */
  public record Nack(String nodeId, String typeUrl, String nonce, String message) {}

  private final List<Consumer<Nack>> listeners = new CopyOnWriteArrayList<>();

  public void addListener(Consumer<Nack> listener) {
    listeners.add(listener);
  }

  @Override
  public void onV3StreamRequest(long streamId, DiscoveryRequest request) {
    if (request.hasErrorDetail()) {
      report(new Nack(request.getNode().getId(), request.getTypeUrl(), request.getResponseNonce(),
          request.getErrorDetail().getMessage()));
    }
  }

  @Override
  public void onV3StreamDeltaRequest(long streamId, DeltaDiscoveryRequest request) {
    if (request.hasErrorDetail()) {
      report(new Nack(request.getNode().getId(), request.getTypeUrl(), request.getResponseNonce(),
          request.getErrorDetail().getMessage()));
    }
  }

  private void report(Nack nack) {
    log.warning(() -> "NACK node=" + LogText.quote(nack.nodeId()) + " type=" + LogText.quote(nack.typeUrl())
        + " nonce=" + LogText.quote(nack.nonce()) + " error_detail=" + LogText.quote(nack.message()));
    listeners.forEach(l -> l.accept(nack));
  }
}
