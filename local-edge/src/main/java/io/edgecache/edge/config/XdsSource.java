package io.edgecache.edge.config;

import java.util.Optional;

/**
 * Where local-edge takes its listener, routes and clusters from: an xDS control plane over ADS.
 *
 * @param host the control plane's host
 * @param port its gRPC port
 * @param nodeId this node's {@code node.id}
 * @param nodeCluster this node's {@code node.cluster}, which selects its node group
 * @param listener the LDS listener to serve; empty means the only one pushed
 */
public record XdsSource(String host, int port, String nodeId, String nodeCluster, Optional<String> listener) {}
