package io.edgecache.controlplane.xds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.edgecache.controlplane.config.ConfigLoader;
import io.edgecache.controlplane.config.EdgecacheConfig;
import io.edgecache.http.UnkeyedRequestHeaders;
import io.edgecache.proto.policy.v1.HeaderNames;
import io.edgecache.proto.policy.v1.RoutePolicy;
import io.edgecache.proto.policy.v1.RoutePolicyMetadata;
import io.envoyproxy.controlplane.cache.v3.Snapshot;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsCertificate;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SnapshotTranslatorTest {
  /** Every message type the translator emits, top level and inside typed_config. */
  static final JsonFormat.TypeRegistry REGISTRY = JsonFormat.TypeRegistry.newBuilder()
      .add(List.of(Listener.getDescriptor(), RouteConfiguration.getDescriptor(), Cluster.getDescriptor(),
          ClusterLoadAssignment.getDescriptor(), HttpConnectionManager.getDescriptor(),
          ExternalProcessor.getDescriptor(), ExtProcPerRoute.getDescriptor(), Router.getDescriptor(),
          HttpProtocolOptions.getDescriptor(), UpstreamTlsContext.getDescriptor()))
      .build();

  final EdgecacheConfig config = load();
  final Map<String, Snapshot> snapshots = SnapshotTranslator.translate(config, "7");

  @Test
  void everyResourceRoundTripsThroughJsonAsTheProtoItClaims() throws Exception {
    int checked = 0;
    for (Snapshot snapshot : snapshots.values()) {
      assertReferencesResolve(snapshot);
      for (Message resource : resources(snapshot)) {
        Any packed = Any.pack(resource);
        // Printing resolves every nested typed_config through the registry, so an Any whose
        // type is unknown or whose bytes do not parse as that type fails here.
        String json = JsonFormat.printer().usingTypeRegistry(REGISTRY).print(packed);
        Any.Builder parsed = Any.newBuilder();
        JsonFormat.parser().usingTypeRegistry(REGISTRY).merge(json, parsed);
        assertEquals(resource, parsed.build().unpack(resource.getClass()), json);
        checked++;
      }
    }
    assertTrue(checked >= 9, "checked " + checked + " resources");
  }

  @Test
  void everyListenerNormalisesPathsAsTheCacheNodesDo() throws Exception {
    for (Snapshot snapshot : snapshots.values()) {
      for (Listener listener : snapshot.listeners().resources().values()) {
        HttpConnectionManager hcm = listener.getFilterChains(0).getFilters(0).getTypedConfig()
            .unpack(HttpConnectionManager.class);
        assertTrue(hcm.getNormalizePath().getValue(), listener.getName());
        assertTrue(hcm.getMergeSlashes(), listener.getName());
        assertEquals(HttpConnectionManager.PathWithEscapedSlashesAction.REJECT_REQUEST,
            hcm.getPathWithEscapedSlashesAction(), listener.getName());
        assertTrue(hcm.getUseRemoteAddress().getValue(), listener.getName());
      }
    }
  }

  @Test
  void nodeGroupsGetDifferentSnapshots() {
    Snapshot edge = snapshots.get("edge-gateway");
    Snapshot sidecar = snapshots.get("sidecar");
    assertEquals(List.of("edge"), List.copyOf(edge.listeners().resources().keySet()));
    assertEquals(List.of("sidecar-outbound"), List.copyOf(sidecar.listeners().resources().keySet()));
    assertEquals(java.util.Set.of("edgecache_ext_proc", "edgecache_body", "demo-origin"),
        edge.clusters().resources().keySet());
    assertEquals(java.util.Set.of("edgecache_ext_proc", "edgecache_body", "internal-api"),
        sidecar.clusters().resources().keySet());
    // demo-origin is STATIC, so its endpoints go over EDS; internal-api is DNS, resolved by Envoy.
    assertEquals(java.util.Set.of("demo-origin"), edge.endpoints().resources().keySet());
    assertTrue(sidecar.endpoints().resources().isEmpty());
    assertEquals("7", edge.listeners().version());
    assertNotEquals(edge.routes().resources(), sidecar.routes().resources());
  }

  @Test
  void bypassRoutesDisableExtProcAndOthersCarryTheirPolicy() throws Exception {
    RouteConfiguration routes = snapshots.get("edge-gateway").routes().resources().get("edge");
    // the first route of every virtual host is the body route (see largeHits...)
    List<Route> demo = routes.getVirtualHosts(0).getRoutesList().subList(1, 4);
    ExtProcPerRoute admin = perRoute(demo.get(1));
    assertTrue(admin.getDisabled());
    ExtProcPerRoute fallback = perRoute(demo.get(2));
    assertFalse(fallback.getDisabled());
    List<HeaderValue> metadata = fallback.getOverrides().getGrpcInitialMetadataList();
    assertEquals("x-edgecache-policy", metadata.get(0).getKey());
    assertTrue(metadata.get(0).getValue().matches("demo/default@[0-9a-f]{8}"), metadata.get(0).getValue());
    assertEquals("x-edgecache-policy-bin", metadata.get(1).getKey());
    assertEquals(RoutePolicy.newBuilder().setPolicyId("demo/default").setMode(RoutePolicy.Mode.RESPECT_ORIGIN)
        .setDefaultTtl(com.google.protobuf.Duration.newBuilder().setSeconds(60))
        .setMaxTtl(com.google.protobuf.Duration.newBuilder().setSeconds(86400)).setShareSetCookie(false)
        .setCacheEverythingWithCredentials(false).setStoreCookieResponses(false)
        .setStripHeaders(HeaderNames.newBuilder().addAllNames(UnkeyedRequestHeaders.DEFAULT_STRIP))
        .setForwardExcludedQuery(false).setStoreSetCookie(false).build(),
        RoutePolicyMetadata.parse(metadata.get(1).getValue().getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    assertEquals("/assets/[a-z0-9._-]+\\.(css|js|png)", demo.get(0).getMatch().getSafeRegex().getRegex());
  }

  @Test
  void largeHitsAreReroutedByAFirstRouteOnTheBodyHeaderToTheBodyEndpoint() throws Exception {
    for (Snapshot snapshot : snapshots.values()) {
      for (RouteConfiguration routes : snapshot.routes().resources().values()) {
        for (var host : routes.getVirtualHostsList()) {
          Route first = host.getRoutes(0);
          assertEquals("edgecache-body", first.getName(), host.getName());
          assertEquals("x-edgecache-body", first.getMatch().getHeaders(0).getName());
          assertTrue(first.getMatch().getHeaders(0).getPresentMatch());
          assertEquals("edgecache_body", first.getRoute().getCluster());
          assertEquals(0, first.getRoute().getTimeout().getSeconds(), "no route timeout");
          assertTrue(perRoute(first).getDisabled(), "the filter already answered");
        }
      }
      Cluster body = snapshot.clusters().resources().get("edgecache_body");
      assertEquals(50052, body.getLoadAssignment().getEndpoints(0).getLbEndpoints(0)
          .getEndpoint().getAddress().getSocketAddress().getPortValue());
    }
  }

  @Test
  void policyVersionChangesOnlyWithThePolicy() {
    EdgecacheConfig.Route route = config.sites().get(0).routes().get(2);
    EdgecacheConfig.Route sameAgain = new EdgecacheConfig.Route(route.name(), route.policyId(), route.match(),
        route.cluster(), route.timeout().plusSeconds(1), route.cache());
    EdgecacheConfig.CachePolicy cache = route.cache();
    EdgecacheConfig.Route ttlChanged = withCache(route, new EdgecacheConfig.CachePolicy(cache.mode(),
        java.util.Optional.of(java.time.Duration.ofSeconds(5)), cache.maxTtl(), false, false, false,
        cache.stripHeaders(), false, false));
    EdgecacheConfig.Route cookiesStored = withCache(route, new EdgecacheConfig.CachePolicy(cache.mode(),
        cache.defaultTtl(), cache.maxTtl(), false, false, true, cache.stripHeaders(), false, false));
    EdgecacheConfig.Route setCookieShared = withCache(route, new EdgecacheConfig.CachePolicy(cache.mode(),
        cache.defaultTtl(), cache.maxTtl(), true, false, false, cache.stripHeaders(), false, false));
    EdgecacheConfig.Route setCookieStored = withCache(route, new EdgecacheConfig.CachePolicy(cache.mode(),
        cache.defaultTtl(), cache.maxTtl(), true, false, false, cache.stripHeaders(), false, true));
    assertEquals(PolicyMetadata.entries(route), PolicyMetadata.entries(sameAgain));
    assertNotEquals(PolicyMetadata.entries(route).get(0), PolicyMetadata.entries(ttlChanged).get(0));
    assertNotEquals(PolicyMetadata.entries(route).get(0), PolicyMetadata.entries(cookiesStored).get(0));
    assertNotEquals(PolicyMetadata.entries(setCookieShared).get(0), PolicyMetadata.entries(setCookieStored).get(0));
  }

  private static EdgecacheConfig.Route withCache(EdgecacheConfig.Route route, EdgecacheConfig.CachePolicy cache) {
    return new EdgecacheConfig.Route(route.name(), route.policyId(), route.match(), route.cluster(), route.timeout(),
        cache);
  }

  /** Everything generated from the sample config passes the protos' validation rules, as Envoy checks them. */
  @Test
  void everyGeneratedResourcePassesTheProtosValidationRules() {
    ProtoRules rules = new ProtoRules(SnapshotTranslator.PACKED_TYPES::find);
    int checked = 0;
    for (Snapshot snapshot : snapshots.values()) {
      List<Map<String, ? extends Message>> kinds = List.of(snapshot.listeners().resources(),
          snapshot.routes().resources(), snapshot.clusters().resources(), snapshot.endpoints().resources());
      for (Map<String, ? extends Message> resources : kinds) {
        for (Map.Entry<String, ? extends Message> resource : resources.entrySet()) {
          assertEquals(List.of(), rules.violations(resource.getValue()), resource.getKey());
          checked++;
        }
      }
    }
    assertTrue(checked > 8, "checked " + checked);
  }

  /**
   * With extProc.tls the pushed ext_proc cluster carries Envoy's mTLS to the cache node (the
   * shape of envoy/envoy-mtls.yaml; local-edge's EnvoyConfigCheckTest compares the two), it
   * parses as the Envoy protos and passes their validation rules; without it, none.
   */
  @Test
  void extProcTlsBecomesTheExtProcClustersTransportSocket() throws Exception {
    EdgecacheConfig.ExtProc plain = config.extProc();
    EdgecacheConfig.ExtProc mtls = new EdgecacheConfig.ExtProc(plain.address(), plain.failureModeAllow(),
        plain.messageTimeout(), plain.maxMessageTimeout(), plain.grpcTimeout(), plain.bodyEndpoint(),
        Optional.of(new EdgecacheConfig.ExtProcTls("/etc/edgecache/tls/tls.crt", "/etc/edgecache/tls/tls.key",
            "/etc/edgecache/ca/ca.crt", Optional.of("ext-proc"))));
    EdgecacheConfig withTls = new EdgecacheConfig(mtls, config.clusters(), config.sites(), config.listeners(),
        config.nodeGroups());
    ProtoRules rules = new ProtoRules(SnapshotTranslator.PACKED_TYPES::find);
    for (Snapshot snapshot : SnapshotTranslator.translate(withTls, "8").values()) {
      Cluster cluster = snapshot.clusters().resources().get(SnapshotTranslator.EXT_PROC_CLUSTER);
      assertEquals(List.of(), rules.violations(cluster));
      Any.Builder parsed = Any.newBuilder();
      JsonFormat.parser().usingTypeRegistry(REGISTRY)
          .merge(JsonFormat.printer().usingTypeRegistry(REGISTRY).print(Any.pack(cluster)), parsed);
      assertEquals(cluster, parsed.build().unpack(Cluster.class));

      assertEquals("envoy.transport_sockets.tls", cluster.getTransportSocket().getName());
      UpstreamTlsContext tls = cluster.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class);
      assertEquals("ext-proc", tls.getSni());
      CommonTlsContext common = tls.getCommonTlsContext();
      assertEquals(List.of("h2"), common.getAlpnProtocolsList());
      TlsCertificate certificate = common.getTlsCertificates(0);
      assertEquals("/etc/edgecache/tls/tls.crt", certificate.getCertificateChain().getFilename());
      assertEquals("/etc/edgecache/tls/tls.key", certificate.getPrivateKey().getFilename());
      assertEquals("/etc/edgecache/tls", certificate.getWatchedDirectory().getPath());
      CertificateValidationContext validation = common.getValidationContext();
      assertEquals("/etc/edgecache/ca/ca.crt", validation.getTrustedCa().getFilename());
      assertEquals("/etc/edgecache/ca", validation.getWatchedDirectory().getPath());
      assertEquals(SubjectAltNameMatcher.SanType.DNS, validation.getMatchTypedSubjectAltNames(0).getSanType());
      assertEquals("ext-proc", validation.getMatchTypedSubjectAltNames(0).getMatcher().getExact());
    }
    for (Snapshot snapshot : snapshots.values()) {
      assertFalse(snapshot.clusters().resources().get(SnapshotTranslator.EXT_PROC_CLUSTER).hasTransportSocket());
    }
  }

  /**
   * The pushed filter asks Envoy for response.code_details, as envoy/envoy.yaml does, so the node
   * can tell Envoy's own replies from the origin's and store only the origin's.
   */
  @Test
  void thePushedFilterAsksForTheResponseCodeDetails() throws Exception {
    ExternalProcessor filter = extProcOf(connectionManagerOf(edgeListener()));
    assertEquals(List.of("response.code_details"), filter.getResponseAttributesList());
    assertEquals(List.of(), filter.getRequestAttributesList());
  }

  /** A violation deep inside packed Anys is found and named by its path, as Envoy's NACK would. */
  @Test
  void aViolationInsideTypedConfigIsNamedByItsPath() throws Exception {
    Listener listener = edgeListener();
    HttpConnectionManager hcm = connectionManagerOf(listener);
    ExternalProcessor filter = extProcOf(hcm);
    Listener tooLong = listener.toBuilder().setFilterChains(0, listener.getFilterChains(0).toBuilder()
        .setFilters(0, listener.getFilterChains(0).getFilters(0).toBuilder().setTypedConfig(Any.pack(
            hcm.toBuilder().setHttpFilters(0, hcm.getHttpFilters(0).toBuilder().setTypedConfig(Any.pack(
                filter.toBuilder().setMessageTimeout(com.google.protobuf.util.Durations.fromHours(2)).build())))
                .build())))).build();
    assertEquals(List.of("filter_chains[0].filters[0].typed_config.http_filters[0].typed_config.message_timeout:"
        + " 7200s must be at most 3600s"), new ProtoRules(SnapshotTranslator.PACKED_TYPES::find).violations(tooLong));
  }

  private Listener edgeListener() {
    return snapshots.get("edge-gateway").listeners().resources().get("edge");
  }

  private static HttpConnectionManager connectionManagerOf(Listener listener) throws Exception {
    return listener.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
  }

  /** The listener's first HTTP filter, the ext_proc filter every pushed listener starts with. */
  private static ExternalProcessor extProcOf(HttpConnectionManager hcm) throws Exception {
    return hcm.getHttpFilters(0).getTypedConfig().unpack(ExternalProcessor.class);
  }

  /**
   * Envoy reads grpc initial metadata values with its header formatter, where '%' starts a
   * command; a site or route name with '%' must reach the node as written, so it goes out as "%%".
   */
  @Test
  void percentInAPolicyIdIsEscapedForEnvoysFormatter() {
    EdgecacheConfig.Route route = config.sites().get(0).routes().get(2);
    EdgecacheConfig.Route percent = new EdgecacheConfig.Route(route.name(), "demo/100%-static", route.match(),
        route.cluster(), route.timeout(), route.cache());
    String value = PolicyMetadata.entries(percent).get(0).getValue();
    assertTrue(value.startsWith("demo/100%%-static@"), value);
  }

  /**
   * Every RDS name a listener uses and every EDS cluster has its resource. (java-control-plane's
   * own ensureConsistent() finds HCMs only under the legacy filter name envoy.http_connection_manager.)
   */
  private static void assertReferencesResolve(Snapshot snapshot) throws Exception {
    for (Listener listener : snapshot.listeners().resources().values()) {
      HttpConnectionManager hcm = listener.getFilterChains(0).getFilters(0).getTypedConfig()
          .unpack(HttpConnectionManager.class);
      assertTrue(snapshot.routes().resources().containsKey(hcm.getRds().getRouteConfigName()));
    }
    for (Cluster cluster : snapshot.clusters().resources().values()) {
      if (cluster.getType() == Cluster.DiscoveryType.EDS) {
        assertTrue(snapshot.endpoints().resources().containsKey(cluster.getName()), cluster.getName());
      }
    }
  }

  private static ExtProcPerRoute perRoute(Route route) throws Exception {
    return route.getTypedPerFilterConfigOrThrow(SnapshotTranslator.EXT_PROC_FILTER).unpack(ExtProcPerRoute.class);
  }

  private static List<Message> resources(Snapshot snapshot) {
    List<Message> all = new ArrayList<>();
    all.addAll(snapshot.listeners().resources().values());
    all.addAll(snapshot.routes().resources().values());
    all.addAll(snapshot.clusters().resources().values());
    all.addAll(snapshot.endpoints().resources().values());
    return all;
  }

  private static EdgecacheConfig load() {
    try {
      return ConfigLoader.load(io.edgecache.controlplane.SampleConfig.PATH);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
