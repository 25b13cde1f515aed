package io.edgecache.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.edgecache.controlplane.config.EdgecacheConfig;
import io.edgecache.controlplane.xds.ProtoRules;
import io.edgecache.controlplane.xds.SnapshotTranslator;
import io.edgecache.config.ConfigException;
import io.edgecache.edge.config.EnvoyBootstrapLoader;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every Envoy file in envoy/ parses with Envoy's own protos, every typed_config unpacks, and
 * all of it passes the protos' validation rules.
 */
class EnvoyConfigCheckTest {

  @Test
  void everyEnvoyFileParsesAndEveryTypedConfigUnpacks() throws Exception {
    List<Path> files = envoyFiles();
    assertFalse(files.isEmpty(), "no Envoy files found");
    for (Path file : files) {
      Bootstrap bootstrap = EnvoyBootstrapLoader.load(file);
      List<Any> anys = new ArrayList<>();
      collectAnys(bootstrap, anys);
      assertFalse(anys.isEmpty(), file + " has no typed_config");
      if (bootstrap.getDynamicResources().hasAdsConfig()) {
        // Everything but the control plane's own cluster comes over ADS.
        assertTrue(bootstrap.getDynamicResources().getLdsConfig().hasAds(), file + ": LDS must come over ADS");
        assertTrue(bootstrap.getDynamicResources().getCdsConfig().hasAds(), file + ": CDS must come over ADS");
      } else {
        assertTrue(anys.size() >= 4, file + ": expected HCM, ext_proc, router and protocol options, got " + anys.size());
      }
    }
    EnvoyBootstrapLoader.loadExternalProcessor(RepoFiles.envoyYaml());
  }

  /**
   * Every file passes the protoc-gen-validate rules Envoy checks on load (the control plane's
   * {@link ProtoRules}, which its generated resources pass too).
   */
  @Test
  void everyEnvoyFilePassesTheProtosValidationRules() throws Exception {
    ProtoRules rules = new ProtoRules(EnvoyBootstrapLoader.typeRegistry()::find);
    for (Path file : envoyFiles()) {
      assertEquals(List.of(), rules.violations(EnvoyBootstrapLoader.load(file)), file.toString());
    }
  }

  /**
   * The control plane's {@code extProc.tls} pushes the same mTLS to the cache node as
   * envoy/envoy-mtls.yaml configures statically: same files, SNI, ALPN, SAN check and watched
   * directories.
   */
  @Test
  void pushedExtProcTlsIsEnvoyMtlsYamls() throws Exception {
    Cluster configured = EnvoyBootstrapLoader.load(RepoFiles.root().resolve("envoy/envoy-mtls.yaml"))
        .getStaticResources().getClustersList().stream()
        .filter(c -> c.getName().equals(SnapshotTranslator.EXT_PROC_CLUSTER))
        .findFirst().orElseThrow();
    Cluster pushed = SnapshotTranslator.extProcCluster(new EdgecacheConfig.ExtProc(
        new EdgecacheConfig.HostPort("ext-proc", 50051), true, Duration.ofMillis(200), Duration.ofSeconds(5),
        Duration.ofSeconds(1), Optional.empty(), Optional.of(new EdgecacheConfig.ExtProcTls(
            "/etc/edgecache/tls/tls.crt", "/etc/edgecache/tls/tls.key", "/etc/edgecache/tls/ca.crt",
            Optional.of("ext-proc")))));
    assertEquals(configured.getTransportSocket().getName(), pushed.getTransportSocket().getName());
    assertEquals(configured.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class),
        pushed.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class));
  }

  /** message_timeout is {@code lte: 3600s} in ext_proc.proto: Envoy rejects 7200s, and so does this check. */
  @Test
  void aTimeoutEnvoyWouldRejectIsNamedByItsField(@TempDir Path dir) throws Exception {
    Path copy = dir.resolve("envoy-7200s.yaml");
    Files.writeString(copy, Files.readString(RepoFiles.envoyYaml()).replace("message_timeout: 0.2s", "message_timeout: 7200s"));
    List<String> violations = new ProtoRules(EnvoyBootstrapLoader.typeRegistry()::find).violations(EnvoyBootstrapLoader.load(copy));
    assertEquals(1, violations.size(), violations.toString());
    assertTrue(violations.get(0).endsWith("http_filters[0].typed_config.message_timeout: 7200s must be at most 3600s"),
        violations.get(0));
  }

  @Test
  void misspelledFieldIsNamedWithTheFile(@TempDir Path dir) throws Exception {
    Path copy = dir.resolve("envoy-typo.yaml");
    Files.writeString(copy, Files.readString(RepoFiles.envoyYaml())
        .replace("failure_mode_allow:", "failure_mode_alow:"));
    ConfigException e = assertThrows(ConfigException.class, () -> EnvoyBootstrapLoader.load(copy));
    assertTrue(e.getMessage().contains("failure_mode_alow"), e.getMessage());
    assertTrue(e.getMessage().contains("envoy-typo.yaml"), e.getMessage());
  }

  private static List<Path> envoyFiles() throws IOException {
    try (Stream<Path> files = Files.list(RepoFiles.root().resolve("envoy"))) {
      return files.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
          .filter(p -> !p.getFileName().toString().startsWith("docker-compose"))
          .sorted()
          .toList();
    }
  }

  /** Adds every Any nested in {@code message}, recursing into unpacked ones too. */
  private static void collectAnys(Message message, List<Any> out) throws Exception {
    for (var entry : message.getAllFields().entrySet()) {
      FieldDescriptor field = entry.getKey();
      if (field.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        continue;
      }
      List<?> values = field.isRepeated() ? (List<?>) entry.getValue() : List.of(entry.getValue());
      for (Object value : values) {
        Message nested = value instanceof Message m ? m : null;
        if (nested == null) {
          continue;
        }
        if (nested.getDescriptorForType().getFullName().equals(Any.getDescriptor().getFullName())) {
          Any any = nested instanceof Any a ? a : Any.parseFrom(nested.toByteString());
          out.add(any);
          var descriptor = EnvoyBootstrapLoader.typeRegistry()
              .find(any.getTypeUrl().substring(any.getTypeUrl().lastIndexOf('/') + 1));
          if (descriptor == null) {
            throw new AssertionError("unregistered typed_config type " + any.getTypeUrl());
          }
          collectAnys(com.google.protobuf.DynamicMessage.parseFrom(descriptor, any.getValue()), out);
        } else {
          collectAnys(nested, out);
        }
      }
    }
  }
}
