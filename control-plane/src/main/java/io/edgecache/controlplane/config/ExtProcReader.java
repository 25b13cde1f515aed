package io.edgecache.controlplane.config;

import static io.edgecache.controlplane.config.SectionValues.boolOr;
import static io.edgecache.controlplane.config.SectionValues.durationOr;
import static io.edgecache.controlplane.config.SectionValues.hostPort;

import io.edgecache.config.ConfigException;
import io.edgecache.config.YamlNode;
import io.edgecache.controlplane.config.EdgecacheConfig.ExtProc;
import io.edgecache.controlplane.config.EdgecacheConfig.ExtProcTls;
import io.edgecache.controlplane.xds.SnapshotTranslator;
import java.util.Optional;
import java.util.Set;

/** Reads the {@code extProc} section: the cache service and the filter's settings. */
final class ExtProcReader {
  static final Set<String> FIELDS = Set.of("address", "failureModeAllow", "messageTimeout",
      "maxMessageTimeout", "grpcTimeout", "bodyEndpoint", "tls");
  private static final Set<String> TLS = Set.of("certFile", "keyFile", "caFile", "sni");

  private ExtProcReader() {}

  /** Reads the section's fields, which may come from several files ({@link ConfigLoader}). */
  static ExtProc read(YamlNode.Fields f) throws ConfigException {
    ExtProc extProc = new ExtProc(
        hostPort(f.required("address")),
        boolOr(f.optional("failureModeAllow"), ExtProc.DEFAULT_FAILURE_MODE_ALLOW),
        durationOr(f.optional("messageTimeout"), ExtProc.DEFAULT_MESSAGE_TIMEOUT),
        durationOr(f.optional("maxMessageTimeout"), ExtProc.DEFAULT_MAX_MESSAGE_TIMEOUT),
        durationOr(f.optional("grpcTimeout"), ExtProc.DEFAULT_GRPC_TIMEOUT),
        f.optional("bodyEndpoint") == null ? Optional.empty()
            : Optional.of(hostPort(f.optional("bodyEndpoint"))),
        f.optional("tls") == null ? Optional.empty() : Optional.of(tls(f.optional("tls"))));
    EnvoyAcceptance.require(SnapshotTranslator.externalProcessor(extProc), f);
    EnvoyAcceptance.require(SnapshotTranslator.extProcCluster(extProc), f);
    return extProc;
  }

  /** The files are Envoy's, on its host: they cannot be checked here, only their form. */
  private static ExtProcTls tls(YamlNode node) throws ConfigException {
    YamlNode.Fields t = node.mapping(TLS);
    return new ExtProcTls(envoyPath(t.required("certFile")), envoyPath(t.required("keyFile")),
        envoyPath(t.required("caFile")),
        t.optional("sni") == null ? Optional.empty() : Optional.of(t.optional("sni").name()));
  }

  /** A relative path would resolve against Envoy's working directory, not this file's. */
  private static String envoyPath(YamlNode node) throws ConfigException {
    String path = node.name();
    if (!path.startsWith("/")) {
      throw node.error("must be an absolute path on the Envoy host, got '" + path + "'");
    }
    return path;
  }
}
