package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.edgecache.config.ConfigFiles;
import io.edgecache.controlplane.config.ConfigLoader;
import io.edgecache.controlplane.config.EdgecacheConfig;
import io.edgecache.controlplane.config.SecuritySettings;
import io.edgecache.controlplane.config.SecuritySettingsLoader;
import io.edgecache.extproc.config.ServerConfig;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.fabric8.certmanager.api.model.v1.Certificate;
import io.fabric8.istio.api.security.v1.AuthorizationPolicy;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import io.edgecache.edge.config.EnvoyBootstrapLoader;
import io.edgecache.extproc.config.ServerConfigLoader;
import io.edgecache.extproc.policy.remote.PolicyMetadataDecoder;
import io.edgecache.extproc.policy.remote.RemotePolicy;
import io.edgecache.proto.policy.v1.RoutePolicy;
import io.edgecache.proto.policy.v1.RoutePolicyMetadata;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * k8s/ and istio/ as a user applies them: every overlay (and each optional component) renders
 * with {@code kubectl kustomize}, every rendered object passes strict schema validation
 * ({@link ManifestSchemas}), every Envoy config in an EnvoyFilter parses into its Envoy proto,
 * and the files the manifests carry load with the loaders the processes use.
 */
class K8sManifestsTest {
  private static final Path ROOT = RepoPaths.root();
  private static final Path GATEWAY = ROOT.resolve("k8s/overlays/gateway");
  private static final Path SIDECAR = ROOT.resolve("k8s/overlays/sidecar");
  private static final Path ISTIO = ROOT.resolve("istio");
  private static final List<String> ISTIO_KUSTOMIZATIONS = List.of("istio/sidecar", "istio/gateway", "istio/edgecache");
  /** Where every pod of the gateway overlay finds its certificate, key and CA. */
  private static final String TLS_DIRECTORY = "/etc/edgecache/tls";

  @TempDir Path scratch;

  @Test
  void everyOverlayAndComponentRendersAndValidates() throws Exception {
    Map<String, String> renders = renders();
    for (Map.Entry<String, String> render : renders.entrySet()) {
      List<ManifestSchemas.Manifest> manifests = ManifestSchemas.validate(render.getKey(), render.getValue());
      assertFalse(manifests.isEmpty(), render.getKey() + " rendered nothing");
      for (ManifestSchemas.Manifest manifest : manifests) {
        if (manifest.model() instanceof Deployment deployment) {
          assertHardened(render.getKey() + ": Deployment " + manifest.name(), deployment.getSpec().getTemplate().getSpec());
        }
      }
      System.out.printf("%s: %d objects valid%n", render.getKey(), manifests.size());
    }
    List<String> gatewayKinds = kinds(renders.get("k8s/overlays/gateway"));
    for (String kind : List.of("Deployment edgecache-envoy", "Deployment edgecache-ext-proc",
        "Deployment edgecache-control-plane", "HorizontalPodAutoscaler edgecache-ext-proc",
        "PodDisruptionBudget edgecache-ext-proc", "NetworkPolicy edgecache-ext-proc",
        "NetworkPolicy edgecache-control-plane", "ServiceAccount edgecache-control-plane",
        "ClusterRole edgecache-endpointslice-reader", "Role edgecache-control-plane-leader-election")) {
      assertTrue(gatewayKinds.contains(kind), "gateway overlay lacks " + kind + ": " + gatewayKinds);
    }
    assertTrue(kinds(renders.get("k8s/overlays/gateway + redis + service-monitor"))
        .containsAll(List.of("Deployment edgecache-redis", "ServiceMonitor edgecache")));
  }

  @Test
  void envoyFilterConfigsParseAndMatchEnvoyYamlsFilter() throws Exception {
    List<ManifestSchemas.EnvoyPatch> patches = istioPatches();
    ExternalProcessor reference = EnvoyBootstrapLoader.loadExternalProcessor(ROOT.resolve("envoy/envoy.yaml"))
        .toBuilder().clearGrpcService().build();
    int filters = 0;
    for (ManifestSchemas.EnvoyPatch patch : patches) {
      if (patch.value() instanceof HttpFilter filter) {
        ExternalProcessor processor = filter.getTypedConfig().unpack(ExternalProcessor.class);
        assertEquals(reference, processor.toBuilder().clearGrpcService().build(),
            patch.filter() + ": ext_proc settings differ from envoy/envoy.yaml's");
        assertFalse(processor.getGrpcService().getEnvoyGrpc().getClusterName().isEmpty(), patch.filter());
        filters++;
      }
    }
    assertEquals(2, filters, "ext_proc filters for the sidecars and the ingress gateway");
  }

  /**
   * The ingress gateway's ext_proc cluster is istiod's outbound cluster of a Service that is not
   * headless (istiod makes a headless Service's cluster ORIGINAL_DST, which has no host for a
   * stream Envoy itself opens), with a gRPC port, in front of the cache nodes' pods.
   */
  @Test
  void istioGatewayCallsTheNodesThroughAServiceIstiodBalances() throws Exception {
    String cluster = null;
    for (ManifestSchemas.EnvoyPatch patch : ManifestSchemas.envoyPatches("istio/gateway",
        ManifestSchemas.validate("istio/gateway", Kustomize.render(ROOT.resolve("istio/gateway"))))) {
      if (patch.value() instanceof HttpFilter filter) {
        cluster = filter.getTypedConfig().unpack(ExternalProcessor.class).getGrpcService().getEnvoyGrpc()
            .getClusterName();
      }
    }
    Matcher outbound = Pattern.compile(
        "outbound\\|(\\d+)\\|\\|([a-z0-9-]+)\\.([a-z0-9-]+)\\.svc\\.cluster\\.local").matcher(String.valueOf(cluster));
    assertTrue(outbound.matches(), "not an istiod outbound cluster: " + cluster);
    List<ManifestSchemas.Manifest> gateway = ManifestSchemas.validate("k8s/overlays/gateway", Kustomize.render(GATEWAY));
    Service service = gateway.stream()
        .filter(m -> m.model() instanceof Service && m.name().equals(outbound.group(2)))
        .map(m -> (Service) m.model()).findFirst()
        .orElseThrow(() -> new AssertionError("the gateway overlay has no Service " + outbound.group(2)));
    assertEquals(outbound.group(3), service.getMetadata().getNamespace());
    assertFalse("None".equals(service.getSpec().getClusterIP()), cluster + ": a headless Service");
    assertTrue(service.getSpec().getPorts().stream().anyMatch(p -> p.getPort() == Integer.parseInt(outbound.group(1))
        && "grpc".equals(p.getAppProtocol())), cluster + ": no gRPC port " + outbound.group(1));
    Map<String, String> podLabels = gateway.stream()
        .filter(m -> m.model() instanceof Deployment && m.name().equals("edgecache-ext-proc"))
        .map(m -> ((Deployment) m.model()).getSpec().getTemplate().getMetadata().getLabels()).findFirst().orElseThrow();
    assertTrue(podLabels.entrySet().containsAll(service.getSpec().getSelector().entrySet()),
        cluster + ": does not select the cache nodes");
  }

  /**
   * istio/edgecache's AuthorizationPolicies, read against the gateway overlay: each selects a
   * Deployment's pods and names exactly the ports its containers open (a port added to a pod and
   * forgotten here would be refused by the mesh; one named here that no pod opens is a typo).
   */
  @Test
  void istioMeshPoliciesNameEveryPortOfThePodsTheySelect() throws Exception {
    List<ManifestSchemas.Manifest> gateway = ManifestSchemas.validate("k8s/overlays/gateway", Kustomize.render(GATEWAY));
    int policies = 0;
    for (ManifestSchemas.Manifest manifest : ManifestSchemas.validate("istio/edgecache",
        Kustomize.render(ROOT.resolve("istio/edgecache")))) {
      if (!(manifest.model() instanceof AuthorizationPolicy policy)) {
        continue;
      }
      Map<String, String> selector = policy.getSpec().getSelector().getMatchLabels();
      List<PodSpec> pods = gateway.stream().filter(m -> m.model() instanceof Deployment)
          .map(m -> ((Deployment) m.model()).getSpec().getTemplate())
          .filter(t -> t.getMetadata().getLabels().entrySet().containsAll(selector.entrySet()))
          .map(t -> t.getSpec()).toList();
      assertEquals(1, pods.size(), manifest.name() + " selects " + pods.size() + " Deployments");
      Set<String> opened = new TreeSet<>();
      pods.get(0).getContainers().forEach(c -> c.getPorts().forEach(p -> opened.add(String.valueOf(p.getContainerPort()))));
      Set<String> named = new TreeSet<>();
      policy.getSpec().getRules().forEach(rule -> rule.getTo().forEach(to -> named.addAll(to.getOperation().getPorts())));
      assertEquals(opened, named, manifest.name());
      policies++;
    }
    assertEquals(2, policies);
  }

  @Test
  void routePolicyPatchesCarryMetadataTheNodeDecodes() throws Exception {
    List<ManifestSchemas.EnvoyPatch> patches = istioPatches();
    int routes = 0;
    for (ManifestSchemas.EnvoyPatch patch : patches) {
      if (patch.value() instanceof Route route) {
        ExtProcPerRoute perRoute = route.getTypedPerFilterConfigOrThrow("envoy.filters.http.ext_proc")
            .unpack(ExtProcPerRoute.class);
        Map<String, String> metadata = new LinkedHashMap<>();
        perRoute.getOverrides().getGrpcInitialMetadataList().forEach(h -> metadata.put(h.getKey(), h.getValue()));
        // the value's bytes are what Envoy base64-encodes on the wire and grpc-java hands the node
        byte[] sent = metadata.get("x-edgecache-policy-bin").getBytes(StandardCharsets.US_ASCII);
        Optional<RemotePolicy> decoded = PolicyMetadataDecoder.decode(metadata.get("x-edgecache-policy"), sent);
        assertTrue(decoded.isPresent(), patch.filter() + ": the node would ignore " + metadata);
        RoutePolicy spec = RoutePolicyMetadata.parse(sent);
        assertEquals(spec.getMode().name(), decoded.get().mode().name(),
            patch.filter() + ": " + spec + " decoded as " + decoded.get());
        assertTrue(decoded.get().maxTtl().isPresent() && decoded.get().defaultTtl().isPresent(), spec.toString());
        routes++;
      }
    }
    assertEquals(2, routes, "route policy patches for the sidecars and the ingress gateway");
  }

  @Test
  void injectionTemplateIsAValidPodPatch() throws Exception {
    Map<?, ?> operator = new YAMLMapper().readValue(ISTIO.resolve("injection-template.yaml").toFile(), Map.class);
    Map<?, ?> templates = (Map<?, ?>) ((Map<?, ?>) ((Map<?, ?>) ((Map<?, ?>) operator.get("spec"))
        .get("values")).get("sidecarInjectorWebhook")).get("templates");
    Map<?, ?> patch = new YAMLMapper().readValue((String) templates.get("edgecache"), Map.class);
    PodSpec pod = ManifestSchemas.bind("istio/injection-template.yaml: templates.edgecache", patch.get("spec"), PodSpec.class);
    Container node = pod.getContainers().get(0);
    assertEquals(List.of("--config", "/etc/edgecache/config/edgecache.yaml", "--node-id", "$(POD_NAME)"), node.getArgs());
    assertTrue(node.getSecurityContext().getReadOnlyRootFilesystem());
    assertEquals("edgecache-mesh-node", pod.getVolumes().get(0).getConfigMap().getName());
  }

  @Test
  void carriedConfigFilesLoadWithTheProcessesLoaders() throws Exception {
    for (String file : List.of("k8s/overlays/gateway/edgecache.yaml", "k8s/overlays/sidecar/edgecache.yaml",
        "k8s/components/redis/edgecache-redis.yaml", "istio/sidecar/mesh-node.yaml")) {
      ServerConfigLoader.load(ROOT.resolve(file));
    }
    for (String file : List.of("k8s/overlays/gateway/control-plane.yaml", "k8s/overlays/sidecar/control-plane.yaml")) {
      ConfigLoader.load(ROOT.resolve(file));
    }
    EnvoyBootstrapLoader.load(ROOT.resolve("k8s/base/envoy-ads.yaml"));
  }

  /**
   * The gateway overlay's mTLS (components/gateway-mtls, on by default), read from the render as
   * the processes will read it, alone and with the redis component: each process's files come from
   * its own certificate's Secret, mounted and required; what each client dials is a DNS name of its
   * server's certificate and no client's certificate carries it; the nodes admit Envoy's identity
   * and the control plane exactly Envoy's and the nodes'; no gRPC probe on a port that requires a
   * client certificate. Certificates are checked as cert-manager resources (no cluster here issues
   * them: ManifestSchemas validates them against cert-manager's CRD model).
   */
  @Test
  void gatewayMtlsWiresEveryGrpcConnection() throws Exception {
    Map<String, String> renders = Map.of("k8s/overlays/gateway", Kustomize.render(GATEWAY),
        "k8s/overlays/gateway + redis", Kustomize.renderWithComponents(scratch.resolve("gateway-redis"),
            GATEWAY, List.of(ROOT.resolve("k8s/components/redis"))));
    for (Map.Entry<String, String> render : renders.entrySet()) {
      MtlsRender r = MtlsRender.of(render.getKey(), render.getValue(), "edgecache-ext-proc", scratch);
      String where = r.where();
      assertTrue(r.node().tiers().redis().enabled() == where.endsWith("redis"), where);
      assertNotNull(r.node().tls(), where + ": the cache node has no tls: a component replaced its tls.yaml");
      Certificate nodeCert = r.mounted("edgecache-ext-proc", "ext-proc", r.node().tls().files().certFile());
      EdgecacheConfig.ExtProcTls envoyToNodes = r.plane().extProc().tls().orElseThrow();
      Certificate envoyCert = r.mounted("edgecache-envoy", "envoy", envoyToNodes.certFile());
      assertEquals(envoyCert, r.mounted("edgecache-envoy", "envoy", r.adsCertFile()));
      r.assertNodesReachTheControlPlane();

      assertTrue(nodeCert.getSpec().getDnsNames().contains(envoyToNodes.sni().orElseThrow()), where + ": nodes' name");
      assertEquals(List.of(), Optional.ofNullable(envoyCert.getSpec().getDnsNames()).orElse(List.of()),
          where + ": Envoy's certificate must not pass for a server");
      assertEquals(Set.copyOf(envoyCert.getSpec().getUris()), r.node().tls().allowedClients());
      assertEquals(Set.of(envoyCert.getSpec().getUris().get(0), nodeCert.getSpec().getUris().get(0)),
          r.planeSecurity().nodes().identities().orElseThrow().keySet());
      assertNoGrpcProbe(where, deployment(r.manifests(), "edgecache-ext-proc").getContainers().get(0));
    }
  }

  /**
   * The sidecar overlay's mTLS (components/sidecar-mtls, on by default): the pod's Envoy and node
   * present the pod's certificate to the control plane, which serves only that identity; the
   * ext_proc hop stays plaintext on loopback (the node listens on loopback only, and the pushed
   * ext_proc cluster has no TLS), so no gRPC probe can reach it.
   */
  @Test
  void sidecarMtlsWiresThePodsStreamsToTheControlPlane() throws Exception {
    MtlsRender r = MtlsRender.of("k8s/overlays/sidecar", Kustomize.render(SIDECAR), "demo-app-edgecache", scratch);
    Certificate podCert = r.mounted("demo-app", "ext-proc", r.node().tls().files().certFile());
    assertEquals(podCert, r.mounted("demo-app", "envoy", r.adsCertFile()));
    r.assertNodesReachTheControlPlane();
    assertEquals(Set.copyOf(podCert.getSpec().getUris()), r.planeSecurity().nodes().identities().orElseThrow().keySet());
    assertFalse(r.node().tls().extProcMtls());
    assertEquals("127.0.0.1", r.node().listen().getHostString());
    assertEquals(Optional.empty(), r.plane().extProc().tls(), "the pod's Envoy calls its node without TLS");
    Container node = deployment(r.manifests(), "demo-app").getContainers().stream()
        .filter(c -> c.getName().equals("ext-proc")).findFirst().orElseThrow();
    assertNoGrpcProbe(r.where(), node);
  }

  /** The mTLS bootstrap is the base one plus the transport socket of the control plane's cluster. */
  @Test
  void mtlsBootstrapIsTheBaseOnePlusItsTransportSocket() throws Exception {
    Bootstrap base = EnvoyBootstrapLoader.load(ROOT.resolve("k8s/base/envoy-ads.yaml"));
    Bootstrap.Builder mtls = EnvoyBootstrapLoader.load(
        ROOT.resolve("k8s/components/mtls-common/envoy-ads-mtls.yaml")).toBuilder();
    assertTrue(mtls.getStaticResources().getClusters(0).hasTransportSocket());
    mtls.getStaticResourcesBuilder().getClustersBuilder(0).clearTransportSocket();
    assertEquals(base, mtls.build());
  }

  private static void assertNoGrpcProbe(String where, Container node) {
    for (Probe probe : List.of(node.getReadinessProbe(), node.getLivenessProbe())) {
      assertNull(probe.getGrpc(), where + ": the kubelet's gRPC probe cannot use this ext_proc port");
    }
    assertEquals("/readyz", node.getReadinessProbe().getHttpGet().getPath());
  }

  /**
   * A render's configurations loaded as the processes load them. The node and the control plane
   * check at load that they can read their TLS files, so stand-ins in a scratch directory take the
   * pods' TLS_DIRECTORY's place, and {@link #inPod} maps a loaded path back.
   */
  private record MtlsRender(String where, List<ManifestSchemas.Manifest> manifests,
      Map<String, Certificate> bySecret, Path standIns, ServerConfig node, EdgecacheConfig plane,
      SecuritySettings planeSecurity, UpstreamTlsContext envoyToPlane) {

    static MtlsRender of(String where, String yaml, String nodeConfigMap, Path scratch) throws Exception {
      List<ManifestSchemas.Manifest> manifests = ManifestSchemas.validate(where, yaml);
      Map<String, Certificate> bySecret = new LinkedHashMap<>();
      for (ManifestSchemas.Manifest m : manifests) {
        if (m.model() instanceof Certificate certificate) {
          bySecret.put(certificate.getSpec().getSecretName(), certificate);
        }
      }
      Path configs = Files.createDirectories(scratch.resolve(where.replaceAll("\\W", "_")));
      Path standIns = Files.createDirectories(configs.resolve("tls"));
      for (String file : List.of("tls.crt", "tls.key", "ca.crt")) {
        Files.writeString(standIns.resolve(file), "stand-in\n");
      }
      Path planeDir = standInTls(configDirectory(manifests, "edgecache-control-plane", configs), standIns);
      Bootstrap envoy = EnvoyBootstrapLoader.load(
          configDirectory(manifests, "edgecache-envoy", configs).resolve("envoy-ads.yaml"));
      return new MtlsRender(where, manifests, bySecret, standIns,
          ServerConfigLoader.load(standInTls(configDirectory(manifests, nodeConfigMap, configs), standIns)),
          ConfigLoader.load(planeDir), SecuritySettingsLoader.load(planeDir),
          envoy.getStaticResources().getClusters(0).getTransportSocket().getTypedConfig()
              .unpack(UpstreamTlsContext.class));
    }

    /** A path as the pod sees it. */
    String inPod(Object loaded) {
      return loaded.toString().replace(standIns.toString(), TLS_DIRECTORY);
    }

    /** The certificate file Envoy's ADS connection presents. */
    String adsCertFile() {
      return envoyToPlane.getCommonTlsContext().getTlsCertificates(0).getCertificateChain().getFilename();
    }

    /**
     * The certificate whose Secret {@code container} of Deployment {@code deployment} mounts,
     * required, at the directory of {@code certFile} (key and CA beside it, as cert-manager writes
     * them); issued by the edgecache CA.
     */
    Certificate mounted(String deployment, String container, Object certFile) {
      String file = inPod(certFile);
      String at = where + ": " + deployment + "/" + container;
      PodSpec pod = deployment(manifests, deployment);
      String directory = Path.of(file).getParent().toString();
      assertEquals(directory + "/tls.crt", file, at);
      VolumeMount mount = pod.getContainers().stream().filter(c -> c.getName().equals(container))
          .findFirst().orElseThrow().getVolumeMounts().stream()
          .filter(m -> m.getMountPath().equals(directory)).findFirst()
          .orElseThrow(() -> new AssertionError(at + " mounts nothing at " + directory));
      Volume volume = pod.getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
      assertFalse(Boolean.TRUE.equals(volume.getSecret().getOptional()), at + ": its certificate is required");
      Certificate certificate = bySecret.get(volume.getSecret().getSecretName());
      assertNotNull(certificate, at + " mounts " + volume.getSecret().getSecretName() + ", which no Certificate issues");
      assertEquals("edgecache-ca", certificate.getSpec().getIssuerRef().getName(), at);
      return certificate;
    }

    /** What the nodes and Envoy dial is a DNS name of the control plane's certificate. */
    void assertNodesReachTheControlPlane() {
      Certificate planeCert = mounted("edgecache-control-plane", "control-plane",
          planeSecurity.tls().orElseThrow().certFile());
      assertTrue(planeCert.getSpec().getDnsNames().containsAll(List.of(
          node.purge().controlPlane().getHostString(), envoyToPlane.getSni())), where + ": control plane's names");
    }
  }

  /** Writes the data of the rendered ConfigMap {@code name} (hash suffix or not) into a directory. */
  private static Path configDirectory(List<ManifestSchemas.Manifest> manifests, String name, Path under)
      throws Exception {
    ConfigMap map = manifests.stream().map(ManifestSchemas.Manifest::model)
        .filter(m -> m instanceof ConfigMap c && c.getMetadata().getName().matches(name + "(-[a-z0-9]{10})?"))
        .map(ConfigMap.class::cast).findFirst().orElseThrow(() -> new AssertionError("no ConfigMap " + name));
    Path dir = Files.createDirectories(under.resolve(name));
    for (Map.Entry<String, String> file : map.getData().entrySet()) {
      Files.writeString(dir.resolve(file.getKey()), file.getValue());
    }
    return dir;
  }

  /** Points the configuration files of {@code dir} at {@code standIns} instead of TLS_DIRECTORY. */
  private static Path standInTls(Path dir, Path standIns) throws Exception {
    for (Path file : ConfigFiles.of(dir)) {
      Files.writeString(file, Files.readString(file).replace(TLS_DIRECTORY + "/", standIns + "/"));
    }
    return dir;
  }

  private static PodSpec deployment(List<ManifestSchemas.Manifest> manifests, String name) {
    return manifests.stream().filter(m -> m.model() instanceof Deployment && m.name().equals(name))
        .map(m -> ((Deployment) m.model()).getSpec().getTemplate().getSpec()).findFirst()
        .orElseThrow(() -> new AssertionError("no Deployment " + name));
  }

  /** terminationGracePeriodSeconds ≥ the cache node's preStop sleep + its drainTimeout. */
  @Test
  void terminationGraceCoversPreStopAndDrain() throws Exception {
    for (String overlay : List.of("k8s/overlays/gateway", "k8s/overlays/sidecar")) {
      List<ManifestSchemas.Manifest> manifests = ManifestSchemas.validate(overlay, Kustomize.render(ROOT.resolve(overlay)));
      int checked = 0;
      for (ManifestSchemas.Manifest manifest : manifests) {
        if (!(manifest.model() instanceof Deployment deployment)) {
          continue;
        }
        PodSpec pod = deployment.getSpec().getTemplate().getSpec();
        for (Container container : pod.getContainers()) {
          if (!container.getImage().startsWith("edgecache/ext-proc-server")) {
            continue;
          }
          String configMap = pod.getVolumes().stream().filter(v -> v.getConfigMap() != null)
              .filter(v -> container.getVolumeMounts().stream().anyMatch(m -> m.getName().equals(v.getName())
                  && m.getMountPath().equals("/etc/edgecache/config")))
              .map(Volume::getConfigMap).findFirst().orElseThrow().getName();
          Path file = configDirectory(manifests, configMap, scratch).resolve("edgecache.yaml");
          Duration drain = ServerConfigLoader.load(file).drainTimeout();
          long preStop = container.getLifecycle().getPreStop().getSleep().getSeconds();
          long grace = pod.getTerminationGracePeriodSeconds();
          assertTrue(grace >= preStop + drain.toSeconds(), overlay + " " + manifest.name() + ": grace " + grace
              + " s < preStop " + preStop + " s + drainTimeout " + drain.toSeconds() + " s");
          checked++;
        }
      }
      assertEquals(1, checked, overlay + ": cache-node containers checked");
    }
  }

  /**
   * Must show 3: every k8s/ and istio/ path the README's "Deploy on Kubernetes" and "Inject into
   * an Istio mesh" sections name exists, and every kustomization they apply renders and validates.
   */
  @Test
  void readmeDeploySectionsNameFilesThatExistAndRender() throws Exception {
    String readme = Files.readString(ROOT.resolve("README.md"));
    int start = readme.indexOf("## Deploy on Kubernetes");
    int end = readme.indexOf("\n## ", readme.indexOf("## Inject into an Istio mesh"));
    assertTrue(start >= 0 && end > start, "README sections not found");
    Matcher paths = Pattern
        .compile("(?<![\\w/.-])((?:k8s|istio)/[\\w./-]*[\\w])").matcher(readme.substring(start, end));
    int named = 0;
    while (paths.find()) {
      Path path = ROOT.resolve(paths.group(1));
      assertTrue(Files.exists(path), "README names " + paths.group(1) + ", which does not exist");
      // Components render only inside an overlay (everyOverlayAndComponentRendersAndValidates).
      if (Files.exists(path.resolve("kustomization.yaml"))
          && !Files.readString(path.resolve("kustomization.yaml")).contains("\nkind: Component\n")) {
        ManifestSchemas.validate(paths.group(1), Kustomize.render(path));
      }
      named++;
    }
    assertTrue(named >= 10, "only " + named + " paths found in the README's deploy sections");
  }

  /**
   * No NetworkPolicy admits pods of other namespaces by pod labels alone: anyone who may create a
   * pod anywhere can label it {@code istio: ingressgateway} or {@code edgecache.io/xds-client}, so
   * each such peer must also name its namespaces by a label of the cluster-scoped Namespace.
   */
  @Test
  void networkPoliciesAdmitOtherNamespacesOnlyByNamespaceLabels() throws Exception {
    int peers = 0;
    for (Map.Entry<String, String> render : renders().entrySet()) {
      for (ManifestSchemas.Manifest manifest : ManifestSchemas.validate(render.getKey(), render.getValue())) {
        if (!(manifest.model() instanceof NetworkPolicy policy)) {
          continue;
        }
        for (NetworkPolicyIngressRule rule : policy.getSpec().getIngress()) {
          for (NetworkPolicyPeer peer : rule.getFrom()) {
            LabelSelector namespaces = peer.getNamespaceSelector();
            if (namespaces == null) {
              continue; // the policy's own namespace
            }
            boolean named = !namespaces.getMatchLabels().isEmpty() || !namespaces.getMatchExpressions().isEmpty();
            assertTrue(named, render.getKey() + ": NetworkPolicy " + manifest.name()
                + " admits pods of every namespace by pod labels alone: " + peer.getPodSelector());
            peers++;
          }
        }
      }
    }
    assertTrue(peers >= 4, "cross-namespace peers checked: " + peers);
  }

  /** Must show 1: a misspelled field fails validation, naming it with its path. */
  @Test
  void misspelledFieldsFailWithTheirPath() throws Exception {
    String gateway = Kustomize.render(GATEWAY);
    AssertionError deployment = assertThrows(AssertionError.class, () -> ManifestSchemas.validate(
        "k8s/overlays/gateway", gateway.replaceFirst("readOnlyRootFilesystem:", "readOnlyRootFilesytem:")));
    System.out.println("misspelled Deployment field: " + deployment.getMessage());
    assertTrue(deployment.getMessage().contains(
        "unknown field spec.template.spec.containers[0].securityContext.readOnlyRootFilesytem"), deployment.getMessage());

    String istio = Kustomize.render(ROOT.resolve("istio/gateway"));
    AssertionError crdField = assertThrows(AssertionError.class, () -> ManifestSchemas.validate(
        "istio/gateway", istio.replaceFirst("workloadSelector:", "workloadSelecter:")));
    System.out.println("misspelled EnvoyFilter field: " + crdField.getMessage());
    assertTrue(crdField.getMessage().contains("EnvoyFilter") && crdField.getMessage().contains("unknown field spec.workloadSelecter"),
        crdField.getMessage());

    AssertionError envoyField = assertThrows(AssertionError.class, () -> ManifestSchemas.envoyPatches("istio/gateway",
        ManifestSchemas.validate("istio/gateway", istio.replaceFirst("failure_mode_allow:", "failure_mode_alow:"))));
    System.out.println("misspelled Envoy field in an EnvoyFilter patch: " + envoyField.getMessage());
    assertTrue(envoyField.getMessage().contains("spec.configPatches[") && envoyField.getMessage().contains("failure_mode_alow"),
        envoyField.getMessage());
  }

  private Map<String, String> renders() throws Exception {
    Map<String, String> renders = new LinkedHashMap<>();
    renders.put("k8s/overlays/gateway", Kustomize.render(GATEWAY));
    renders.put("k8s/overlays/sidecar", Kustomize.render(SIDECAR));
    renders.put("k8s/overlays/gateway + redis + service-monitor", Kustomize.renderWithComponents(
        scratch.resolve("gateway-all"), GATEWAY,
        List.of(ROOT.resolve("k8s/components/redis"), ROOT.resolve("k8s/components/service-monitor"))));
    renders.put("k8s/overlays/sidecar + service-monitor", Kustomize.renderWithComponents(
        scratch.resolve("sidecar-all"), SIDECAR, List.of(ROOT.resolve("k8s/components/service-monitor"))));
    for (String istio : ISTIO_KUSTOMIZATIONS) {
      renders.put(istio, Kustomize.render(ROOT.resolve(istio)));
    }
    return renders;
  }

  private static List<ManifestSchemas.EnvoyPatch> istioPatches() throws Exception {
    List<ManifestSchemas.EnvoyPatch> patches = new java.util.ArrayList<>();
    for (String istio : ISTIO_KUSTOMIZATIONS) {
      patches.addAll(ManifestSchemas.envoyPatches(istio,
          ManifestSchemas.validate(istio, Kustomize.render(ROOT.resolve(istio)))));
    }
    return patches;
  }

  private static List<String> kinds(String yaml) throws Exception {
    return ManifestSchemas.validate("", yaml).stream().map(m -> m.kind() + " " + m.name()).toList();
  }

  /** Non-root, read-only root, no capabilities, bounded resources: in every container. */
  private static void assertHardened(String where, PodSpec pod) {
    for (Container c : pod.getContainers()) {
      String at = where + " container " + c.getName();
      boolean nonRoot = Boolean.TRUE.equals(pod.getSecurityContext().getRunAsNonRoot())
          || (c.getSecurityContext() != null && Boolean.TRUE.equals(c.getSecurityContext().getRunAsNonRoot()));
      assertTrue(nonRoot, at + ": runAsNonRoot");
      assertTrue(c.getSecurityContext().getReadOnlyRootFilesystem(), at + ": readOnlyRootFilesystem");
      assertEquals(List.of("ALL"), c.getSecurityContext().getCapabilities().getDrop(), at + ": capabilities");
      assertFalse(c.getSecurityContext().getAllowPrivilegeEscalation(), at + ": allowPrivilegeEscalation");
      assertFalse(c.getResources().getRequests().isEmpty() || c.getResources().getLimits().isEmpty(), at + ": resources");
    }
  }
}
