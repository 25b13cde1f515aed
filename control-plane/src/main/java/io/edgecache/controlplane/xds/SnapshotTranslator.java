package io.edgecache.controlplane.xds;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.TypeRegistry;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.util.Durations;
import io.edgecache.controlplane.config.EdgecacheConfig;
import io.edgecache.controlplane.config.EdgecacheConfig.CacheMode;
import io.edgecache.controlplane.config.EdgecacheConfig.ClusterSpec;
import io.edgecache.controlplane.config.EdgecacheConfig.DiscoveryType;
import io.edgecache.controlplane.config.EdgecacheConfig.HeaderMatch;
import io.edgecache.controlplane.config.EdgecacheConfig.HostPort;
import io.edgecache.controlplane.config.EdgecacheConfig.ListenerSpec;
import io.edgecache.controlplane.config.EdgecacheConfig.NodeGroupSpec;
import io.edgecache.controlplane.config.EdgecacheConfig.Site;
import io.edgecache.http.LargeBodyRoute;
import io.edgecache.proto.extproc.ResponseCodeDetails;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.HealthCheck;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.config.core.v3.WatchedDirectory;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExtProcOverrides;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Translates a validated {@link EdgecacheConfig} into one xDS {@link Snapshot} per node group.
 *
 * <p>Per listener: an HttpConnectionManager that takes its route table over ADS (RDS, named
 * after the listener) and runs the ext_proc filter, then the router. Per route: an
 * {@link ExtProcPerRoute} that disables ext_proc on {@code bypass} routes and otherwise carries
 * the route's cache policy as gRPC initial metadata ({@link PolicyMetadata}). A group gets only
 * its listeners, their route tables, the clusters those routes use (plus the ext_proc cluster)
 * and EDS assignments for its STATIC clusters and its KUBERNETES ones (a Service's endpoints,
 * from {@link ServiceEndpoints}).
 */
public final class SnapshotTranslator {
  /** The cluster every ext_proc filter's {@code envoy_grpc} points at. */
  public static final String EXT_PROC_CLUSTER = "edgecache_ext_proc";
  public static final String EXT_PROC_FILTER = "envoy.filters.http.ext_proc";
  private static final String ROUTER_FILTER = "envoy.filters.http.router";
  private static final String HCM_FILTER = "envoy.filters.network.http_connection_manager";
  private static final String TLS_TRANSPORT_SOCKET = "envoy.transport_sockets.tls";
  private static final String HTTP_PROTOCOL_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
  private static final ConfigSource ADS = ConfigSource.newBuilder()
      .setAds(AggregatedConfigSource.getDefaultInstance())
      .setResourceApiVersion(ApiVersion.V3)
      .build();

  /** Every type this translator packs into an {@code Any}, so {@link ProtoRules} can look inside. */
  public static final TypeRegistry PACKED_TYPES = TypeRegistry.newBuilder()
      .add(List.of(HttpConnectionManager.getDescriptor(), ExternalProcessor.getDescriptor(),
          ExtProcPerRoute.getDescriptor(), Router.getDescriptor(), HttpProtocolOptions.getDescriptor(),
          UpstreamTlsContext.getDescriptor()))
      .build();

  private SnapshotTranslator() {}

  /** One snapshot per node group of {@code config}, keyed by group name, all at {@code version}. */
  public static Map<String, Snapshot> translate(EdgecacheConfig config, String version) {
    return translate(config, version, ServiceEndpoints.NONE);
  }

  /** As {@link #translate(EdgecacheConfig, String)}, KUBERNETES clusters with {@code services}' endpoints. */
  public static Map<String, Snapshot> translate(EdgecacheConfig config, String version,
      ServiceEndpoints services) {
    Map<String, Snapshot> snapshots = new LinkedHashMap<>();
    for (NodeGroupSpec group : config.nodeGroups()) {
      snapshots.put(group.name(), translateGroup(config, group, version, services));
    }
    return snapshots;
  }

  private static Snapshot translateGroup(EdgecacheConfig config, NodeGroupSpec group, String version,
      ServiceEndpoints services) {
    Map<String, Site> sites = new LinkedHashMap<>();
    config.sites().forEach(site -> sites.put(site.name(), site));
    List<ListenerSpec> listeners = config.listeners().stream()
        .filter(l -> group.listeners().contains(l.name()))
        .toList();
    ExternalProcessor filter = externalProcessor(config.extProc());
    Set<String> usedClusters = new LinkedHashSet<>();
    List<Listener> listenerResources = listeners.stream().map(l -> listener(l, filter)).toList();
    List<RouteConfiguration> routeResources = listeners.stream().map(l -> {
      List<Site> listenerSites = l.sites().stream().map(sites::get).toList();
      listenerSites.forEach(s -> s.routes().forEach(r -> usedClusters.add(r.cluster())));
      return routeConfiguration(l.name(), listenerSites, config.extProc().bodyEndpoint().isPresent());
    }).toList();
    List<ClusterSpec> clusterSpecs = config.clusters().stream()
        .filter(c -> usedClusters.contains(c.name()))
        .toList();
    List<Cluster> clusters = new ArrayList<>();
    clusters.add(extProcCluster(config.extProc()));
    config.extProc().bodyEndpoint().ifPresent(endpoint -> clusters.add(bodyCluster(endpoint)));
    clusterSpecs.forEach(c -> clusters.add(cluster(c)));
    List<ClusterLoadAssignment> endpoints = clusterSpecs.stream()
        .filter(c -> c.type() != DiscoveryType.DNS)
        .map(c -> loadAssignment(c.name(), c.kubernetes().map(services::endpoints).orElse(c.endpoints())))
        .toList();
    return Snapshot.create(clusters, endpoints, listenerResources, routeResources, List.of(), version);
  }

  /** The ext_proc filter every listener carries; public so the loader can check it as Envoy would. */
  public static ExternalProcessor externalProcessor(EdgecacheConfig.ExtProc extProc) {
    return ExternalProcessor.newBuilder()
        .setGrpcService(GrpcService.newBuilder()
            .setEnvoyGrpc(GrpcService.EnvoyGrpc.newBuilder().setClusterName(EXT_PROC_CLUSTER))
            .setTimeout(duration(extProc.grpcTimeout())))
        .setFailureModeAllow(extProc.failureModeAllow())
        .setMessageTimeout(duration(extProc.messageTimeout()))
        .setMaxMessageTimeout(duration(extProc.maxMessageTimeout()))
        // The cache node turns response body streaming on only for responses it stores. The
        // configured mode stays NONE: with STREAMED configured Envoy removes Content-Length
        // from every processed response before any mode_override can arrive
        // (ProcessorState::shouldRemoveContentLength), so misses and passes would go out chunked.
        .setAllowModeOverride(true)
        // So the node tells Envoy's own replies (route_not_found, upstream resets, timeouts,
        // other filters' answers, which 1.37 sends through ext_proc) from the origin's, and
        // stores only what came via_upstream.
        .addResponseAttributes(ResponseCodeDetails.ATTRIBUTE)
        .setProcessingMode(ProcessingMode.newBuilder()
            .setRequestHeaderMode(HeaderSendMode.SEND)
            .setResponseHeaderMode(HeaderSendMode.SEND)
            .setRequestBodyMode(BodySendMode.NONE)
            .setResponseBodyMode(BodySendMode.NONE)
            .setRequestTrailerMode(HeaderSendMode.SKIP)
            .setResponseTrailerMode(HeaderSendMode.SKIP))
        .build();
  }

  private static Listener listener(ListenerSpec spec, ExternalProcessor filter) {
    HttpConnectionManager hcm = HttpConnectionManager.newBuilder()
        .setStatPrefix(spec.name())
        .setCodecType(HttpConnectionManager.CodecType.AUTO)
        // One path normalisation everywhere: Envoy's route match, the node's route policy and
        // cache key (which normalise alike) and the origin all see the same path.
        .setNormalizePath(BoolValue.of(true))
        .setMergeSlashes(true)
        .setPathWithEscapedSlashesAction(
            HttpConnectionManager.PathWithEscapedSlashesAction.valueOf(spec.escapedSlashes().envoyAction()))
        // An edge: Envoy sets X-Forwarded-Proto and X-Forwarded-For itself rather than trusting
        // the client's, so these forwarding fields need not be stripped or keyed.
        .setUseRemoteAddress(BoolValue.of(true))
        .setRds(Rds.newBuilder().setConfigSource(ADS).setRouteConfigName(spec.name()))
        .addHttpFilters(HttpFilter.newBuilder().setName(EXT_PROC_FILTER).setTypedConfig(Any.pack(filter)))
        .addHttpFilters(HttpFilter.newBuilder().setName(ROUTER_FILTER).setTypedConfig(Any.pack(Router.getDefaultInstance())))
        .build();
    return Listener.newBuilder()
        .setName(spec.name())
        .setAddress(address(spec.address()))
        .addFilterChains(FilterChain.newBuilder()
            .addFilters(Filter.newBuilder().setName(HCM_FILTER).setTypedConfig(Any.pack(hcm))))
        .build();
  }

  private static RouteConfiguration routeConfiguration(String name, List<Site> sites,
      boolean bodyRoute) {
    RouteConfiguration.Builder routes = RouteConfiguration.newBuilder().setName(name);
    for (Site site : sites) {
      VirtualHost.Builder host = VirtualHost.newBuilder().setName(site.name()).addAllDomains(site.domains());
      if (bodyRoute) {
        host.addRoutes(BODY_ROUTE);
      }
      site.routes().forEach(r -> host.addRoutes(route(r)));
      routes.addVirtualHosts(host);
    }
    return routes.build();
  }

  /** The Envoy route for {@code spec}; public so the loader can check it as Envoy would. */
  public static Route route(EdgecacheConfig.Route spec) {
    RouteMatch.Builder match = RouteMatch.newBuilder();
    spec.match().prefix().ifPresent(match::setPrefix);
    spec.match().path().ifPresent(match::setPath);
    spec.match().regex().ifPresent(r -> match.setSafeRegex(RegexMatcher.newBuilder().setRegex(r)));
    spec.match().headers().forEach(h -> match.addHeaders(headerMatcher(h)));
    ExtProcPerRoute perRoute = spec.cache().mode() == CacheMode.BYPASS
        ? ExtProcPerRoute.newBuilder().setDisabled(true).build()
        : ExtProcPerRoute.newBuilder()
            .setOverrides(ExtProcOverrides.newBuilder().addAllGrpcInitialMetadata(PolicyMetadata.entries(spec)))
            .build();
    return Route.newBuilder()
        .setName(spec.name())
        .setMatch(match)
        .setRoute(RouteAction.newBuilder().setCluster(spec.cluster()).setTimeout(duration(spec.timeout())))
        .putTypedPerFilterConfig(EXT_PROC_FILTER, Any.pack(perRoute))
        .build();
  }

  /**
   * Where the cache node reroutes a large hit (it sets {@link LargeBodyRoute#HEADER} and clears
   * the route cache): to its body endpoint, with no timeout (a body may be gigabytes) and without the
   * filter, which already answered. A client that sets the header itself is refused there.
   */
  private static final Route BODY_ROUTE = Route.newBuilder()
      .setName(LargeBodyRoute.ROUTE)
      .setMatch(RouteMatch.newBuilder().setPrefix("/")
          .addHeaders(HeaderMatcher.newBuilder().setName(LargeBodyRoute.HEADER).setPresentMatch(true)))
      .setRoute(RouteAction.newBuilder().setCluster(LargeBodyRoute.CLUSTER)
          .setTimeout(duration(Duration.ZERO)))
      .putTypedPerFilterConfig(EXT_PROC_FILTER,
          Any.pack(ExtProcPerRoute.newBuilder().setDisabled(true).build()))
      .build();

  private static Cluster bodyCluster(EdgecacheConfig.HostPort endpoint) {
    return Cluster.newBuilder()
        .setName(LargeBodyRoute.CLUSTER)
        .setType(endpoint.isIpLiteral() ? Cluster.DiscoveryType.STATIC : Cluster.DiscoveryType.STRICT_DNS)
        .setConnectTimeout(duration(Duration.ofSeconds(1)))
        .setLoadAssignment(loadAssignment(LargeBodyRoute.CLUSTER, List.of(endpoint)))
        .build();
  }

  private static HeaderMatcher headerMatcher(HeaderMatch spec) {
    HeaderMatcher.Builder header = HeaderMatcher.newBuilder().setName(spec.name());
    switch (spec.kind()) {
      case EXACT -> header.setStringMatch(StringMatcher.newBuilder().setExact(spec.value()));
      case PREFIX -> header.setStringMatch(StringMatcher.newBuilder().setPrefix(spec.value()));
      case REGEX -> header.setStringMatch(StringMatcher.newBuilder()
          .setSafeRegex(RegexMatcher.newBuilder().setRegex(spec.value())));
      case PRESENT -> header.setPresentMatch(true);
    }
    return header.build();
  }

  /** The cluster the ext_proc filter calls; public so the loader can check it as Envoy would. */
  public static Cluster extProcCluster(EdgecacheConfig.ExtProc extProc) {
    HttpProtocolOptions http2 = HttpProtocolOptions.newBuilder()
        .setExplicitHttpConfig(HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
            .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()))
        .build();
    Cluster.Builder cluster = Cluster.newBuilder()
        .setName(EXT_PROC_CLUSTER)
        .setType(extProc.address().isIpLiteral() ? Cluster.DiscoveryType.STATIC : Cluster.DiscoveryType.STRICT_DNS)
        .setConnectTimeout(duration(Duration.ofSeconds(1)))
        .putTypedExtensionProtocolOptions(HTTP_PROTOCOL_OPTIONS, Any.pack(http2))
        .setLoadAssignment(loadAssignment(EXT_PROC_CLUSTER, List.of(extProc.address())));
    extProc.tls().ifPresent(tls -> cluster.setTransportSocket(extProcTls(tls)));
    return cluster.build();
  }

  /** The Envoy cluster for {@code spec}; public so the loader can check it as Envoy would. */
  public static Cluster cluster(ClusterSpec spec) {
    Cluster.Builder cluster = Cluster.newBuilder()
        .setName(spec.name())
        .setConnectTimeout(duration(spec.connectTimeout()))
        .setLbPolicy(switch (spec.lbPolicy()) {
          case ROUND_ROBIN -> Cluster.LbPolicy.ROUND_ROBIN;
          case LEAST_REQUEST -> Cluster.LbPolicy.LEAST_REQUEST;
          case RANDOM -> Cluster.LbPolicy.RANDOM;
        });
    if (spec.type() != DiscoveryType.DNS) {
      cluster.setType(Cluster.DiscoveryType.EDS)
          .setEdsClusterConfig(Cluster.EdsClusterConfig.newBuilder().setEdsConfig(ADS));
    } else {
      cluster.setType(Cluster.DiscoveryType.STRICT_DNS)
          .setLoadAssignment(loadAssignment(spec.name(), spec.endpoints()));
    }
    spec.healthCheck().ifPresent(h -> cluster.addHealthChecks(HealthCheck.newBuilder()
        .setTimeout(duration(h.timeout()))
        .setInterval(duration(h.interval()))
        .setHealthyThreshold(UInt32Value.of(h.healthyThreshold()))
        .setUnhealthyThreshold(UInt32Value.of(h.unhealthyThreshold()))
        .setHttpHealthCheck(HealthCheck.HttpHealthCheck.newBuilder().setPath(h.path()))));
    spec.tls().ifPresent(tls -> {
      CommonTlsContext.Builder common = CommonTlsContext.newBuilder();
      tls.caFile().ifPresent(ca -> common.setValidationContext(CertificateValidationContext.newBuilder()
          .setTrustedCa(DataSource.newBuilder().setFilename(ca))));
      cluster.setTransportSocket(tlsSocket(UpstreamTlsContext.newBuilder().setSni(tls.sni()).setCommonTlsContext(common)));
    });
    return cluster.build();
  }

  private static TransportSocket tlsSocket(UpstreamTlsContext.Builder context) {
    return TransportSocket.newBuilder()
        .setName(TLS_TRANSPORT_SOCKET)
        .setTypedConfig(Any.pack(context.build()))
        .build();
  }

  /**
   * mTLS to the cache node, as envoy/envoy-mtls.yaml spells it: Envoy's client certificate, the
   * CA the node's certificate must chain to, and, with an SNI, that name as the node's DNS SAN
   * (the CA also signs the nodes' client certificates, which must not pass for the server).
   * watched_directory is each file's directory, so a rotation by symlink swap (cert-manager,
   * kubelet's ..data) is reloaded as a whole.
   */
  private static TransportSocket extProcTls(EdgecacheConfig.ExtProcTls tls) {
    TlsCertificate.Builder certificate = TlsCertificate.newBuilder()
        .setCertificateChain(DataSource.newBuilder().setFilename(tls.certFile()))
        .setPrivateKey(DataSource.newBuilder().setFilename(tls.keyFile()));
    String certDirectory = directory(tls.certFile());
    if (certDirectory.equals(directory(tls.keyFile()))) {
      certificate.setWatchedDirectory(WatchedDirectory.newBuilder().setPath(certDirectory));
    }
    CertificateValidationContext.Builder validation = CertificateValidationContext.newBuilder()
        .setTrustedCa(DataSource.newBuilder().setFilename(tls.caFile()))
        .setWatchedDirectory(WatchedDirectory.newBuilder().setPath(directory(tls.caFile())));
    tls.sni().ifPresent(name -> validation.addMatchTypedSubjectAltNames(SubjectAltNameMatcher.newBuilder()
        .setSanType(SubjectAltNameMatcher.SanType.DNS)
        .setMatcher(StringMatcher.newBuilder().setExact(name))));
    UpstreamTlsContext.Builder context = UpstreamTlsContext.newBuilder()
        .setCommonTlsContext(CommonTlsContext.newBuilder()
            .addAlpnProtocols("h2")
            .addTlsCertificates(certificate)
            .setValidationContext(validation));
    tls.sni().ifPresent(context::setSni);
    return tlsSocket(context);
  }

  private static String directory(String absolutePath) {
    return Path.of(absolutePath).getParent().toString();
  }

  private static ClusterLoadAssignment loadAssignment(String cluster, List<HostPort> endpoints) {
    LocalityLbEndpoints.Builder locality = LocalityLbEndpoints.newBuilder();
    endpoints.forEach(e -> locality.addLbEndpoints(LbEndpoint.newBuilder()
        .setEndpoint(Endpoint.newBuilder().setAddress(address(e)))));
    return ClusterLoadAssignment.newBuilder().setClusterName(cluster).addEndpoints(locality).build();
  }

  private static Address address(HostPort hostPort) {
    return Address.newBuilder()
        .setSocketAddress(SocketAddress.newBuilder().setAddress(hostPort.host()).setPortValue(hostPort.port()))
        .build();
  }

  private static com.google.protobuf.Duration duration(Duration d) {
    return Durations.fromNanos(d.toNanos());
  }
}
