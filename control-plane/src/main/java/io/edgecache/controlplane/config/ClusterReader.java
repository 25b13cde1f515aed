package io.edgecache.controlplane.config;

import static io.edgecache.controlplane.config.SectionValues.durationOr;
import static io.edgecache.controlplane.config.SectionValues.enumOr;
import static io.edgecache.controlplane.config.SectionValues.hostPort;

import io.edgecache.config.ConfigException;
import io.edgecache.config.YamlNode;
import io.edgecache.controlplane.config.EdgecacheConfig.ClusterSpec;
import io.edgecache.controlplane.config.EdgecacheConfig.DiscoveryType;
import io.edgecache.controlplane.config.EdgecacheConfig.HealthCheck;
import io.edgecache.controlplane.config.EdgecacheConfig.HostPort;
import io.edgecache.controlplane.config.EdgecacheConfig.KubernetesService;
import io.edgecache.controlplane.config.EdgecacheConfig.LbPolicy;
import io.edgecache.controlplane.config.EdgecacheConfig.Tls;
import io.edgecache.controlplane.xds.SnapshotTranslator;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Reads one item of {@code clusters}: where its endpoints come from (static, DNS or a Kubernetes
 * Service), load balancing, and its optional health check and TLS to the origin.
 */
final class ClusterReader {
  private static final Set<String> FIELDS = Set.of("name", "type", "endpoints", "lbPolicy", "connectTimeout",
      "healthCheck", "tls", "kubernetes");
  private static final Set<String> HEALTH_CHECK = Set.of("path", "interval", "timeout", "healthyThreshold",
      "unhealthyThreshold");
  private static final Set<String> TLS = Set.of("sni", "caFile");
  private static final Set<String> KUBERNETES = Set.of("service", "namespace", "port");

  private ClusterReader() {}

  static ClusterSpec read(YamlNode node) throws ConfigException {
    YamlNode.Fields f = node.mapping(FIELDS);
    String name = f.required("name").name();
    Optional<KubernetesService> kubernetes = Optional.empty();
    if (f.optional("kubernetes") != null) {
      if (f.optional("type") != null || f.optional("endpoints") != null) {
        throw f.optional("kubernetes").error("a cluster takes its endpoints from kubernetes or from"
            + " type/endpoints, not both");
      }
      kubernetes = Optional.of(kubernetesService(f.optional("kubernetes")));
    }
    DiscoveryType type = kubernetes.isPresent() ? DiscoveryType.KUBERNETES
        : enumOr(f.optional("type"), DiscoveryType.class, ClusterSpec.DEFAULT_TYPE);
    if (type == DiscoveryType.KUBERNETES && kubernetes.isEmpty()) {
      throw f.optional("type").error("type kubernetes needs a kubernetes: {service, namespace, port} field"
          + " instead of type");
    }
    List<HostPort> endpoints = new ArrayList<>();
    for (YamlNode endpoint : f.list("endpoints")) {
      HostPort address = hostPort(endpoint);
      if (type == DiscoveryType.STATIC && !address.isIpLiteral()) {
        // Envoy accepts only IP addresses in EDS; names need DNS resolution by Envoy.
        throw endpoint.error("a static cluster's endpoints must be IP addresses; use type: dns for host names");
      }
      endpoints.add(address);
    }
    if (endpoints.isEmpty() && kubernetes.isEmpty()) {
      throw f.required("endpoints").error("at least one host:port endpoint is required");
    }
    LbPolicy lb = enumOr(f.optional("lbPolicy"), LbPolicy.class, ClusterSpec.DEFAULT_LB_POLICY);
    ClusterSpec cluster = new ClusterSpec(name, type, endpoints, lb,
        durationOr(f.optional("connectTimeout"), ClusterSpec.DEFAULT_CONNECT_TIMEOUT),
        f.optional("healthCheck") == null ? Optional.empty() : Optional.of(healthCheck(f.optional("healthCheck"))),
        f.optional("tls") == null ? Optional.empty() : Optional.of(tls(f.optional("tls"))),
        kubernetes);
    EnvoyAcceptance.require(SnapshotTranslator.cluster(cluster), f);
    return cluster;
  }

  private static HealthCheck healthCheck(YamlNode node) throws ConfigException {
    YamlNode.Fields h = node.mapping(HEALTH_CHECK);
    String path = h.required("path").name();
    if (!path.startsWith("/")) {
      throw h.required("path").error("must start with /");
    }
    return new HealthCheck(path,
        durationOr(h.optional("interval"), HealthCheck.DEFAULT_INTERVAL),
        durationOr(h.optional("timeout"), HealthCheck.DEFAULT_TIMEOUT),
        h.optional("healthyThreshold") == null ? HealthCheck.DEFAULT_HEALTHY_THRESHOLD
            : h.optional("healthyThreshold").positiveInt(),
        h.optional("unhealthyThreshold") == null ? HealthCheck.DEFAULT_UNHEALTHY_THRESHOLD
            : h.optional("unhealthyThreshold").positiveInt());
  }

  private static Tls tls(YamlNode node) throws ConfigException {
    YamlNode.Fields t = node.mapping(TLS);
    return new Tls(t.required("sni").name(),
        t.optional("caFile") == null ? Optional.empty() : Optional.of(t.optional("caFile").name()));
  }

  /** {@code {service: NAME, namespace: NS, port: NAME|NUMBER}}: names as Kubernetes allows them. */
  private static KubernetesService kubernetesService(YamlNode node) throws ConfigException {
    YamlNode.Fields k = node.mapping(KUBERNETES);
    String service = dnsLabel(k.required("service"));
    String namespace = dnsLabel(k.required("namespace"));
    YamlNode portNode = k.required("port");
    String port = portNode.name();
    if (port.chars().allMatch(Character::isDigit)) {
      portNode.positiveInt();
    } else if (!port.matches("[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?")) {
      throw portNode.error("expected a port name (lower-case letters, digits, '-', at most 15) or number,"
          + " got '" + port + "'");
    }
    return new KubernetesService(namespace, service, port);
  }

  private static String dnsLabel(YamlNode node) throws ConfigException {
    String text = node.name();
    if (!text.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
      throw node.error("expected a Kubernetes name (RFC 1123 label), got '" + text + "'");
    }
    return text;
  }
}
