package io.edgecache.controlplane.identity;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.edgecache.controlplane.config.NodeAccess;
import io.edgecache.controlplane.xds.NodeGroups;
import io.edgecache.proto.purge.v1.NodeMessage;
import io.edgecache.security.PeerIdentityInterceptor;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.BindableService;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;

/**
 * Puts node identity binding in front of the control plane's node-facing services: the xDS
 * services (the claim is the request's {@code node}: id and group) and the purge stream (the
 * claim is the {@code hello}'s node id). Each plane has its own bounded {@link NodeRegistry},
 * as an Envoy's node id and a cache node's purge id are different names. A stream whose first
 * message (the claim) does not come within {@link #FIRST_MESSAGE_WITHIN} is closed.
 */
public final class NodeGuard implements AutoCloseable {

  /** How long a node-facing stream may stay silent after opening; its peers speak at once. */
  public static final Duration FIRST_MESSAGE_WITHIN = Duration.ofSeconds(30);

  private static final NodeGroups GROUPS = new NodeGroups();

  private final NodeRegistry purgeNodes;
  private final NodeBinding xds;
  private final NodeBinding purge;
  private final PeerIdentityInterceptor identity = new PeerIdentityInterceptor();
  private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(
      new ThreadFactoryBuilder().setNameFormat("node-stream-deadline").setDaemon(true).build());
  private final FirstMessageDeadline firstMessage;

  /**
   * @param purgeForgotten told of each purge node id dropped to stay within the bound, so the
   *     purge coordinator can drop the node's state too
   */
  public NodeGuard(NodeAccess access, Consumer<String> purgeForgotten) {
    this(access, purgeForgotten, FIRST_MESSAGE_WITHIN);
  }

  /** With another bound on the first message (tests). */
  NodeGuard(NodeAccess access, Consumer<String> purgeForgotten, Duration firstMessageWithin) {
    this.firstMessage = new FirstMessageDeadline(firstMessageWithin, timers);
    this.purgeNodes = new NodeRegistry(access.maxNodeIds(), purgeForgotten);
    this.xds = new NodeBinding("xDS", access,
        new NodeRegistry(access.maxNodeIds(), id -> { }), NodeGuard::xdsClaim);
    this.purge = new NodeBinding("purge stream", access, purgeNodes, NodeGuard::purgeClaim);
  }

  /** {@code service} (an xDS service) behind identity binding. */
  public ServerServiceDefinition xds(BindableService service) {
    return ServerInterceptors.intercept(service, xds, identity, firstMessage);
  }

  /** The purge stream service behind identity binding. */
  public ServerServiceDefinition purgeStream(ServerServiceDefinition service) {
    return ServerInterceptors.intercept(service, purge, identity, firstMessage);
  }

  /** Stops the deadlines' timer; streams still open stay open. */
  @Override
  public void close() {
    timers.shutdownNow();
  }

  /** How many purge node ids are remembered (at most {@code nodes.maxNodeIds}). */
  public int purgeNodeIds() {
    return purgeNodes.size();
  }

  private static NodeBinding.Claim xdsClaim(Object message) {
    Node node = null;
    if (message instanceof DiscoveryRequest request && request.hasNode()) {
      node = request.getNode();
    } else if (message instanceof DeltaDiscoveryRequest request && request.hasNode()) {
      node = request.getNode();
    }
    return node == null ? null : new NodeBinding.Claim(node.getId(), GROUPS.hash(node));
  }

  private static NodeBinding.Claim purgeClaim(Object message) {
    return message instanceof NodeMessage m && m.hasHello()
        ? new NodeBinding.Claim(m.getHello().getNodeId(), null) : null;
  }
}
