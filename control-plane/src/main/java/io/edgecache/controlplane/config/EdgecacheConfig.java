package io.edgecache.controlplane.config;

import io.edgecache.http.EscapedSlashes;
import io.edgecache.http.UnkeyedRequestHeaders;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A validated control-plane configuration: what {@link ConfigLoader} produces and the xDS
 * translator consumes. Every reference in it resolves (routes name existing clusters, listeners
 * existing sites, node groups existing listeners) and every regex compiles under RE2.
 */
public record EdgecacheConfig(
    ExtProc extProc,
    List<ClusterSpec> clusters,
    List<Site> sites,
    List<ListenerSpec> listeners,
    List<NodeGroupSpec> nodeGroups) {

  public EdgecacheConfig {
    clusters = List.copyOf(clusters);
    sites = List.copyOf(sites);
    listeners = List.copyOf(listeners);
    nodeGroups = List.copyOf(nodeGroups);
  }

  /**
   * The ext_proc cache service every listener's filter calls, and its filter settings.
   * {@code bodyEndpoint}, when set, is the cache node's HTTP endpoint that streams large bodies
   * (its tiers.bodyListen); every virtual host then gets a first route to it. {@code tls}, when
   * set, makes Envoy speak mTLS to the ext_proc service.
   */
  public record ExtProc(HostPort address, boolean failureModeAllow, Duration messageTimeout,
      Duration maxMessageTimeout, Duration grpcTimeout, Optional<HostPort> bodyEndpoint,
      Optional<ExtProcTls> tls) {
    /** A cache that is down must not take the site down: requests then go to the origin. */
    public static final boolean DEFAULT_FAILURE_MODE_ALLOW = true;
    public static final Duration DEFAULT_MESSAGE_TIMEOUT = Duration.ofMillis(200);
    public static final Duration DEFAULT_MAX_MESSAGE_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_GRPC_TIMEOUT = Duration.ofSeconds(1);
  }

  /**
   * Envoy's mTLS to the ext_proc service: absolute paths on the Envoy host of its client
   * certificate and key and of the CA the cache node's certificate must chain to. {@code sni},
   * when set, is sent as SNI and required as a DNS SAN of the node's certificate.
   */
  public record ExtProcTls(String certFile, String keyFile, String caFile, Optional<String> sni) {}

  public record HostPort(String host, int port) {
    private static final java.util.regex.Pattern IP_LITERAL = java.util.regex.Pattern.compile("[0-9.]+|\\[?[0-9a-fA-F:]+]?");

    /** Whether the host is an IPv4 or IPv6 address rather than a name to resolve. */
    public boolean isIpLiteral() {
      return IP_LITERAL.matcher(host).matches();
    }

    @Override
    public String toString() {
      return host + ":" + port;
    }
  }

  /** STATIC and KUBERNETES clusters are served over EDS; DNS ones are resolved by Envoy. */
  public enum DiscoveryType { STATIC, DNS, KUBERNETES }

  public enum LbPolicy { ROUND_ROBIN, LEAST_REQUEST, RANDOM }

  /**
   * An origin cluster. STATIC endpoints are served over EDS; DNS ones are resolved by Envoy;
   * a KUBERNETES cluster has no endpoints here: they are the ready endpoints of the Service
   * named by {@code kubernetes}, from its EndpointSlices.
   */
  public record ClusterSpec(String name, DiscoveryType type, List<HostPort> endpoints, LbPolicy lbPolicy,
      Duration connectTimeout, Optional<HealthCheck> healthCheck, Optional<Tls> tls,
      Optional<KubernetesService> kubernetes) {
    /** Without {@code type} (and without {@code kubernetes}). */
    public static final DiscoveryType DEFAULT_TYPE = DiscoveryType.STATIC;
    public static final LbPolicy DEFAULT_LB_POLICY = LbPolicy.ROUND_ROBIN;
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(1);

    public ClusterSpec {
      endpoints = List.copyOf(endpoints);
    }
  }

  /**
   * A Kubernetes Service port whose endpoints a cluster takes.
   *
   * @param port the Service port's name (as its EndpointSlices carry it) or a port number (the
   *     endpoints' target port)
   */
  public record KubernetesService(String namespace, String service, String port) {
    @Override
    public String toString() {
      return namespace + "/" + service + ":" + port;
    }
  }

  /** Active HTTP health checking of a cluster's endpoints. */
  public record HealthCheck(String path, Duration interval, Duration timeout, int healthyThreshold,
      int unhealthyThreshold) {
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);
    public static final int DEFAULT_HEALTHY_THRESHOLD = 2;
    public static final int DEFAULT_UNHEALTHY_THRESHOLD = 3;
  }

  /** TLS from Envoy to the origin; {@code caFile} empty means Envoy does not verify the origin. */
  public record Tls(String sni, Optional<String> caFile) {}

  /** A virtual host: the domains it answers and its routes, first match wins. */
  public record Site(String name, List<String> domains, List<Route> routes) {
    public Site {
      domains = List.copyOf(domains);
      routes = List.copyOf(routes);
    }
  }

  /**
   * One route. {@code policyId} ({@code site/route}) names the route's cache policy towards the
   * ext_proc server.
   */
  public record Route(String name, String policyId, RouteMatch match, String cluster, Duration timeout,
      CachePolicy cache) {
    /** Envoy's route timeout when the route sets none. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(15);
  }

  /** Exactly one of prefix, path and regex (RE2, whole path) is set; headers must all match. */
  public record RouteMatch(Optional<String> prefix, Optional<String> path, Optional<String> regex,
      List<HeaderMatch> headers) {
    public RouteMatch {
      headers = List.copyOf(headers);
    }
  }

  public enum HeaderMatchKind { EXACT, PREFIX, REGEX, PRESENT }

  /** {@code value} is empty for PRESENT. */
  public record HeaderMatch(String name, HeaderMatchKind kind, String value) {}

  public enum CacheMode {
    RESPECT_ORIGIN("respect-origin"), CACHE_EVERYTHING("cache-everything"), BYPASS("bypass");

    private final String text;

    CacheMode(String text) {
      this.text = text;
    }

    /** The spelling used in the YAML file and on the wire to the ext_proc server. */
    public String text() {
      return text;
    }
  }

  /**
   * The cache policy of a route. {@code defaultTtl} applies when the origin gives no freshness
   * (or always, under CACHE_EVERYTHING); {@code maxTtl} caps any freshness. Empty means unset.
   * The last four are the cache node's poisoning defences, with the node's defaults: whether
   * cache-everything also covers requests with credentials, whether a response to a Cookie
   * request may be stored without explicit {@code public}/{@code s-maxage}, the request fields
   * stripped before the origin (lower case), and whether query parameters left out of the key
   * still reach the origin. {@code storeSetCookie} (only with {@code shareResponsesWithSetCookie})
   * keeps a shared response's Set-Cookie lines in the cache, so every client gets them on a hit.
   * {@link #DEFAULT} is a route without {@code cache}, and gives each field left out of one.
   */
  public record CachePolicy(CacheMode mode, Optional<Duration> defaultTtl, Optional<Duration> maxTtl,
      boolean shareResponsesWithSetCookie, boolean cacheEverythingWithCredentials,
      boolean storeResponsesToCookieRequests, List<String> stripHeaders, boolean forwardExcludedQuery,
      boolean storeSetCookie) {
    public static final CachePolicy DEFAULT = new CachePolicy(CacheMode.RESPECT_ORIGIN, Optional.empty(),
        Optional.empty(), false, false, false, UnkeyedRequestHeaders.DEFAULT_STRIP, false, false);

    public CachePolicy {
      stripHeaders = List.copyOf(stripHeaders);
    }
  }

  /**
   * A listener: its address, the sites (virtual hosts) its route table holds, and what an
   * encoded slash or backslash in a request path does (the cache nodes must be configured
   * alike: their {@code escapedSlashes}).
   */
  public record ListenerSpec(String name, HostPort address, List<String> sites,
      EscapedSlashes escapedSlashes) {
    /** The cache nodes' default too: both sides must act alike on an encoded slash. */
    public static final EscapedSlashes DEFAULT_ESCAPED_SLASHES = EscapedSlashes.REJECT;

    public ListenerSpec {
      sites = List.copyOf(sites);
    }
  }

  /**
   * A group of nodes that share one snapshot. A node belongs to the group named by its
   * {@code metadata.edgecache_node_group}, else by its {@code cluster}.
   */
  public record NodeGroupSpec(String name, List<String> listeners) {
    public NodeGroupSpec {
      listeners = List.copyOf(listeners);
    }
  }
}
