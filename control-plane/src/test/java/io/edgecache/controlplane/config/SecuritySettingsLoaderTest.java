package io.edgecache.controlplane.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tls and nodes sections: read at start, every mistake named by file, line and field. */
class SecuritySettingsLoaderTest {

  @TempDir Path dir;

  @BeforeEach
  void files() throws Exception {
    for (String name : new String[] {"cp.crt", "cp.key", "ca.pem"}) {
      Files.writeString(dir.resolve(name), "(the loader checks readability; the TLS layer parses)");
    }
  }

  @Test
  void readsTlsFilesRelativeToTheConfigAndTheIdentityGrants() throws Exception {
    SecuritySettings settings = SecuritySettingsLoader.load(write("""
        tls: {certFile: cp.crt, keyFile: cp.key, caFile: ca.pem, refresh: 5m}
        nodes:
          maxNodeIds: 20
          identities:
            - {identity: "spiffe://example/node/a", nodeIds: [a], groups: [edge]}
            - {identity: pool}
        """));
    assertEquals(dir.toAbsolutePath().resolve("cp.crt"), settings.tls().orElseThrow().certFile());
    assertEquals(Duration.ofMinutes(5), settings.tls().orElseThrow().refresh());
    assertEquals(20, settings.nodes().maxNodeIds());
    NodeAccess.Grant a = settings.nodes().identities().orElseThrow().get("spiffe://example/node/a");
    assertEquals(Set.of("a"), a.nodeIds());
    assertEquals(Set.of("edge"), a.groups());
    assertTrue(settings.nodes().identities().orElseThrow().get("pool").nodeIds().isEmpty());
  }

  @Test
  void withoutEitherSectionEveryoneIsAdmittedAndIdsAreStillBounded() throws Exception {
    SecuritySettings settings = SecuritySettingsLoader.load(write("nodeGroups: []\n"));
    assertTrue(settings.tls().isEmpty());
    assertTrue(settings.nodes().identities().isEmpty());
    assertEquals(NodeAccess.DEFAULT_MAX_NODE_IDS, settings.nodes().maxNodeIds());
  }

  @Test
  void mistakesNameFileLineAndField() throws Exception {
    assertError("""
        tls: {certFile: cp.crt, keyFile: cp.key, caFile: ca.pem}
        """, ":1: tls: nodes.identities is required with tls");
    assertError("""
        nodes:
          identities: [{identity: a}]
        """, ":2: nodes: nodes.identities needs tls");
    assertError("""
        tls: {certFile: cp.crt, keyFile: missing.key, caFile: ca.pem}
        nodes: {identities: [{identity: a}]}
        """, ":1: tls: keyFile: cannot read ");
    assertError("""
        tls: {certFile: cp.crt, keyFile: cp.key, caFile: ca.pem, refresh: 10s}
        nodes: {identities: [{identity: a}]}
        """, ":1: tls: refresh: must be at least 1m");
    assertError("""
        tls: {certFile: cp.crt, keyFile: cp.key, caFile: ca.pem}
        nodes:
          identities:
            - {identity: a, nodeIds: [n1]}
            - {identity: b, nodeIds: [n1]}
        """, ":5: nodes.identities[1].nodeIds[0]: node id 'n1' is already granted to 'a'");
    assertError("""
        nodes: {maxNodeIds: 0}
        """, "nodes.maxNodeIds");
  }

  private void assertError(String yaml, String expected) throws Exception {
    Path file = write(yaml);
    ConfigException e = assertThrows(ConfigException.class, () -> SecuritySettingsLoader.load(file));
    assertTrue(e.getMessage().startsWith(file.toString()) && e.getMessage().contains(expected), e.getMessage());
  }

  private Path write(String yaml) throws Exception {
    return Files.writeString(dir.resolve("control-plane.yaml"), yaml);
  }
}
