package io.edgecache.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A cache node as deployed, ext_proc server and local-edge, each in a child JVM whose heap
 * (and direct memory) is capped far below the bodies the test sends, so neither can hold one.
 * local-edge runs the filter of {@code envoy/envoy.yaml} with a patient message_timeout: these
 * tests bound memory, and a busy machine must not turn a slow first message into a pass.
 */
final class CappedNode implements AutoCloseable {

  /** Well under the 256 MiB bound the tiered-store issue sets. */
  static final List<String> CAPPED_JVM =
      List.of("-Xmx96m", "-XX:MaxDirectMemorySize=64m", "-XX:+UseSerialGC");
  private static final Pattern LISTENING = Pattern.compile("listening on \\S*:(\\d+)");

  final ChildJvm server;
  final ChildJvm edge;

  private CappedNode(ChildJvm server, ChildJvm edge) {
    this.server = server;
    this.edge = edge;
  }

  /**
   * Starts the server with {@code serverYaml} (its listen address is set here) and an edge
   * whose static routes are {@code routesYaml} (a YAML list, indented for the routes field).
   */
  static CappedNode start(Path dir, String serverYaml, String routesYaml) throws Exception {
    Path serverConfig = Files.writeString(dir.resolve("edgecache.yaml"),
        "listen: 127.0.0.1:0\n" + serverYaml);
    ChildJvm server = ChildJvm.start("io.edgecache.extproc.Main", CAPPED_JVM, LISTENING,
        "--config", serverConfig.toString());
    try {
      String bootstrap = Files.readString(RepoPaths.envoyBootstrap());
      String patient = bootstrap.replace("message_timeout: 0.2s", "message_timeout: 5s");
      assertTrue(!patient.equals(bootstrap), "envoy.yaml no longer sets message_timeout: 0.2s");
      Path patientBootstrap = Files.writeString(dir.resolve("envoy.yaml"), patient);
      Path edgeConfig = Files.writeString(dir.resolve("local-edge.yaml"), """
          listen: 127.0.0.1:0
          envoyBootstrap: %s
          extProcTarget: 127.0.0.1:%d
          routes:
          %s""".formatted(patientBootstrap, server.port(), routesYaml));
      return new CappedNode(server, ChildJvm.start("io.edgecache.edge.LocalEdgeMain",
          CAPPED_JVM, LISTENING, "--config", edgeConfig.toString()));
    } catch (Exception | AssertionError e) {
      server.close();
      throw e;
    }
  }

  /** Whether both JVMs are still running (neither ran out of memory). */
  boolean alive() {
    return server.isAlive() && edge.isAlive();
  }

  /** What both JVMs printed, for failure messages. */
  String output() {
    return server.output() + edge.output();
  }

  @Override
  public void close() throws Exception {
    edge.close();
    server.close();
  }
}
