package io.edgecache.controlplane.config;

import io.edgecache.security.TlsFiles;
import java.util.Optional;

/**
 * How the xDS/purge port is secured, from the {@code tls} and {@code nodes} sections.
 *
 * @param tls the server's certificate, key and client CA; empty serves plaintext (loopback demo)
 * @param nodes which certificate identities may act as which nodes, and the node id bound
 */
public record SecuritySettings(Optional<TlsFiles> tls, NodeAccess nodes) {}
