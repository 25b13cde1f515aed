package io.edgecache.controlplane;

import io.edgecache.config.ConfigException;
import io.edgecache.controlplane.metrics.MetricsServer;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * Command line: {@code ControlPlaneMain --config FILE_OR_DIR [--listen HOST:PORT]
 * [--metrics HOST:PORT]} (defaults {@code 127.0.0.1:18000} and {@code 127.0.0.1:18002}; the
 * latter serves {@code /metrics} in Prometheus format, {@code --metrics off} disables it). Prints where it serves and the file it watches; an invalid initial
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
    String metricsListen = "127.0.0.1:18002";
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--config" -> config = Path.of(args[i + 1]);
        case "--listen" -> listen = args[i + 1];
        case "--metrics" -> metricsListen = args[i + 1];
        default -> fail("unknown option " + args[i]);
      }
    }
    if (config == null || args.length % 2 != 0) {
      fail("usage: control-plane --config FILE_OR_DIR [--listen HOST:PORT]"
          + " [--metrics HOST:PORT|off]");
    }
    InetSocketAddress address = hostAndPort("--listen", listen);
    ControlPlane controlPlane = null;
    try {
      controlPlane = ControlPlane.start(config, address);
    } catch (ConfigException e) {
      fail(e.getMessage());
    } catch (Exception e) {
      fail("cannot serve on " + listen + ": " + e.getMessage());
    }
    ControlPlane running = controlPlane;
    MetricsServer metrics = null;
    if (!metricsListen.equals("off")) {
      try {
        metrics = new MetricsServer(hostAndPort("--metrics", metricsListen), running.metrics());
      } catch (Exception e) {
        running.close();
        fail("cannot serve metrics on " + metricsListen + ": " + e.getMessage());
      }
    }
    MetricsServer scrape = metrics;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (scrape != null) {
        scrape.close();
      }
      running.close();
    }, "control-plane-shutdown"));
    System.out.println("control-plane: serving xDS (ADS) on " + listen + ", version " + running.version()
        + "; watching " + config.toAbsolutePath().normalize());
    try {
      running.awaitTermination();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static InetSocketAddress hostAndPort(String flag, String value) {
    int colon = value.lastIndexOf(':');
    try {
      return new InetSocketAddress(value.substring(0, colon),
          Integer.parseInt(value.substring(colon + 1)));
    } catch (RuntimeException e) {
      fail(flag + ": expected host:port, got '" + value + "'");
      return null;
    }
  }

  private static void fail(String message) {
    System.err.println("control-plane: " + message);
    System.exit(1);
  }
}
