package io.edgecache.extproc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.edgecache.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as a Kubernetes pod passes it: one ConfigMap file, a node id per pod. */
class MainArgsTest {

  @Test
  void nodeIdFlagOverridesTheFilesNodeId(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("edgecache.yaml");
    Files.writeString(file, """
        purge:
          controlPlane: 127.0.0.1:18000
          nodeId: shared-by-every-replica
          nodeGroup: edge-gateway
        """);
    var config = Main.parse(new String[] {"--config", file.toString(), "--node-id", "ext-proc-7d9f-x2"});
    assertEquals("ext-proc-7d9f-x2", config.purge().nodeId());
    assertEquals("edge-gateway", config.purge().nodeGroup());
    assertEquals("shared-by-every-replica",
        Main.parse(new String[] {"--config", file.toString()}).purge().nodeId());
  }

  /**
   * A sidecar's file keeps its plaintext ext_proc port on loopback; --listen, applied after the
   * file, cannot move it onto the pod's addresses.
   */
  @Test
  void listenCannotTakeAPlaintextExtProcPortOffLoopback(@TempDir Path dir) throws Exception {
    for (String name : new String[] {"tls.crt", "tls.key", "ca.crt"}) {
      Files.writeString(dir.resolve(name), "not read at load\n");
    }
    Path file = Files.writeString(dir.resolve("edgecache.yaml"), "listen: 127.0.0.1:50051\ntls:\n"
        + "  certFile: " + dir.resolve("tls.crt") + "\n  keyFile: " + dir.resolve("tls.key")
        + "\n  caFile: " + dir.resolve("ca.crt") + "\n  extProcPort: plaintext\n");
    assertEquals(50052, Main.parse(new String[] {"--config", file.toString(), "--listen",
        "127.0.0.1:50052"}).listen().getPort());
    ConfigException moved = assertThrows(ConfigException.class, () -> Main.parse(
        new String[] {"--config", file.toString(), "--listen", "0.0.0.0:50051"}));
    assertEquals("--listen: tls.extProcPort: plaintext is for a node its pod's Envoy calls over"
        + " loopback, and listen is 0.0.0.0:50051: whoever reaches the port could write the cache",
        moved.getMessage());
  }

  @Test
  void emptyNodeIdAndUnknownFlagsAreRejectedWithUsage() {
    ConfigException empty = assertThrows(ConfigException.class,
        () -> Main.parse(new String[] {"--node-id", " "}));
    assertTrue(empty.getMessage().contains("--node-id"), empty.getMessage());
    ConfigException unknown = assertThrows(ConfigException.class,
        () -> Main.parse(new String[] {"--nodeid", "x"}));
    assertTrue(unknown.getMessage().contains("--node-id ID"), unknown.getMessage());
  }
}
