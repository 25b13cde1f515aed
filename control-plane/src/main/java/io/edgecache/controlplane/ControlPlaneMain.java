package io.edgecache.controlplane;

import io.edgecache.controlplane.config.ConfigException;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * Command line: {@code ControlPlaneMain --config FILE_OR_DIR [--listen HOST:PORT]} (default
 * {@code 127.0.0.1:18000}). Prints where it serves and the file it watches; an invalid initial
 * configuration or a busy port prints one line to stderr and exits with status 1.
 */
public final class ControlPlaneMain {
  private ControlPlaneMain() {}

  public static void main(String[] args) {
    if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
      System.setProperty("java.util.logging.SimpleFormatter.format", "control-plane: %4$s: %5$s%6$s%n");
    }
    Path config = null;
    String listen = "127.0.0.1:18000";
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--config" -> config = Path.of(args[i + 1]);
        case "--listen" -> listen = args[i + 1];
        default -> fail("unknown option " + args[i]);
      }
    }
    if (config == null || args.length % 2 != 0) {
      fail("usage: control-plane --config FILE_OR_DIR [--listen HOST:PORT]");
    }
    int colon = listen.lastIndexOf(':');
    InetSocketAddress address = null;
    try {
      address = new InetSocketAddress(listen.substring(0, colon), Integer.parseInt(listen.substring(colon + 1)));
    } catch (RuntimeException e) {
      fail("--listen: expected host:port, got '" + listen + "'");
    }
    ControlPlane controlPlane = null;
    try {
      controlPlane = ControlPlane.start(config, address);
    } catch (ConfigException e) {
      fail(e.getMessage());
    } catch (Exception e) {
      fail("cannot serve on " + listen + ": " + e.getMessage());
    }
    ControlPlane running = controlPlane;
    Runtime.getRuntime().addShutdownHook(new Thread(running::close, "control-plane-shutdown"));
    System.out.println("control-plane: serving xDS (ADS) on " + listen + ", version " + running.version()
        + "; watching " + config.toAbsolutePath().normalize());
    try {
      running.awaitTermination();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void fail(String message) {
    System.err.println("control-plane: " + message);
    System.exit(1);
  }
}
