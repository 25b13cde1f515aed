package io.edgecache.edge;

import io.edgecache.config.ConfigException;
import io.edgecache.edge.config.LocalEdgeConfig;
import java.nio.file.Path;

/**
 * Command line: {@code LocalEdgeMain --config local-edge.yaml}. Prints where it listens; on a
 * bad config or a busy port prints one line to stderr and exits with status 1.
 */
public final class LocalEdgeMain {
  private LocalEdgeMain() {}

  public static void main(String[] args) {
    if (args.length != 2 || !args[0].equals("--config")) {
      fail("usage: local-edge --config FILE");
    }
    LocalEdgeConfig config = null;
    try {
      config = LocalEdgeConfig.load(Path.of(args[1]));
    } catch (ConfigException e) {
      fail(e.getMessage());
    }
    String address = config.listenHost() + ":" + config.listenPort();
    LocalEdge edge = null;
    try {
      edge = LocalEdge.start(config);
    } catch (Exception e) {
      fail("cannot listen on " + address + ": " + describe(e));
    }
    LocalEdge running = edge;
    Runtime.getRuntime().addShutdownHook(new Thread(running::close, "local-edge-shutdown"));
    System.out.println("local-edge: listening on http://" + config.listenHost() + ":" + running.port()
        + " (ext_proc at " + config.extProcHost() + ":" + config.extProcPort() + ")"
        + (running.adminPort() > 0 ? "; stats on http://" + config.admin().get().getHostString() + ":" + running.adminPort() + "/stats" : ""));
  }

  private static String describe(Exception e) {
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    if (message.toLowerCase(java.util.Locale.ROOT).contains("address already in use")) {
      return "address already in use";
    }
    return message;
  }

  private static void fail(String message) {
    System.err.println("local-edge: " + message);
    System.exit(1);
  }
}
