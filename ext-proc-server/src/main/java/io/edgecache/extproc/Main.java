package io.edgecache.extproc;

import io.edgecache.config.ConfigException;
import io.edgecache.config.ConfigFiles;
import io.edgecache.config.HostPort;
import io.edgecache.extproc.config.ServerConfig;
import io.edgecache.extproc.config.ServerConfigLoader;
import io.edgecache.extproc.telemetry.Telemetry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;

/**
 * Command line: {@code Main [--config FILE|DIR] [--listen HOST:PORT] [--node-id ID]}. Errors are one
 * line on stderr and exit status 1 (2 for bad usage). {@code --node-id} overrides
 * {@code purge.nodeId}, so the replicas of one Deployment, sharing one ConfigMap, follow the purge
 * stream as distinct nodes (each passes its pod name).
 */
public final class Main {

  private Main() {}

  public static void main(String[] args) throws InterruptedException {
    LogFormat.install();
    ServerConfig config;
    try {
      config = parse(args);
    } catch (ConfigException e) {
      System.err.println("ext-proc-server: " + e.getMessage());
      System.exit(2);
      return;
    }
    ExtProcServer server;
    try {
      server = ExtProcServer.start(
          config, Clock.systemUTC(), Telemetry.fromEnvironment(), configVersion);
    } catch (IOException e) {
      System.err.println("ext-proc-server: " + e.getMessage());
      System.exit(1);
      return;
    }
    System.out.printf("ext-proc-server: listening on %s:%d (L1 %d MiB, max object %d MiB)%n",
        config.listen().getHostString(), server.port(), config.l1MaxBytes() >> 20,
        config.maxObjectBytes() >> 20);
    if (server.adminPort() > 0) {
      System.out.printf("ext-proc-server: admin on http://%s:%d (/metrics, /stats, /healthz, /readyz)%n",
          config.adminListen().getHostString(), server.adminPort());
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "ext-proc-drain"));
    stopped.await();
  }

  /** What /stats reports as the running configuration: a digest of its files, or "defaults". */
  private static String configVersion = "defaults";

  static ServerConfig parse(String[] args) throws ConfigException {
    ServerConfig config = ServerConfig.defaults();
    String listen = null;
    String nodeId = null;
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (i + 1 >= args.length) {
        throw new ConfigException(flag + " needs a value; " + USAGE);
      }
      String value = args[++i];
      switch (flag) {
        case "--config" -> {
          config = ServerConfigLoader.load(Path.of(value));
          configVersion = digest(Path.of(value));
        }
        case "--listen" -> listen = value;
        case "--node-id" -> nodeId = value;
        default -> throw new ConfigException("unknown option " + flag + "; " + USAGE);
      }
    }
    if (nodeId != null) {
      if (nodeId.isBlank()) {
        throw new ConfigException("--node-id: must not be empty");
      }
      config = config.withPurge(config.purge().withNodeId(nodeId.trim()));
    }
    if (listen == null) {
      return config;
    }
    try {
      return config.withListen(HostPort.parse(listen).unresolved());
    } catch (IllegalArgumentException e) {
      throw new ConfigException("--listen: " + e.getMessage());
    }
  }

  private static final String USAGE =
      "usage: [--config FILE|DIR] [--listen HOST:PORT] [--node-id ID]";

  /** A digest of the file, or of a directory's files in the order they are loaded. */
  private static String digest(Path source) throws ConfigException {
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
    for (Path file : ConfigFiles.of(source)) {
      try {
        sha256.update(Files.readAllBytes(file));
      } catch (IOException e) {
        throw new ConfigException(file + ": cannot read: " + e.getMessage());
      }
    }
    return "sha256:" + HexFormat.of().formatHex(sha256.digest(), 0, 6);
  }

}
