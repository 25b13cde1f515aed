package io.edgecache.extproc.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} from PATH on a free loopback port, without persistence. It can
 * be stopped and started again on the same port to simulate an outage.
 */
public final class RedisServer implements AutoCloseable {

  private static final Duration READY_DEADLINE = Duration.ofSeconds(10);

  private final String executable;
  private final int port;
  private Process process;

  private RedisServer(String executable, int port) {
    this.executable = executable;
    this.port = port;
  }

  /** Starts a server; fails with how to install one when redis-server is not on PATH. */
  public static RedisServer start() throws IOException, InterruptedException {
    RedisServer server = new RedisServer(findOnPath(), freePort());
    server.startProcess();
    return server;
  }

  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  /** Kills the server, as an outage would. */
  public void stop() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  public void restart() throws IOException, InterruptedException {
    startProcess();
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }

  private void startProcess() throws IOException, InterruptedException {
    process = new ProcessBuilder(executable, "--port", String.valueOf(port), "--bind",
        "127.0.0.1", "--save", "", "--appendonly", "no")
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
    long deadline = System.nanoTime() + READY_DEADLINE.toNanos();
    while (!answersPing()) {
      if (System.nanoTime() > deadline || !process.isAlive()) {
        process.destroyForcibly();
        throw new IOException("redis-server did not answer PING on port " + port);
      }
      Thread.sleep(20); // polling readiness, bounded by the deadline
    }
  }

  private boolean answersPing() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
      OutputStream out = socket.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] reply = in.readNBytes(7);
      return new String(reply, StandardCharsets.US_ASCII).equals("+PONG\r\n");
    } catch (IOException e) {
      return false;
    }
  }

  private static String findOnPath() throws IOException {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(dir, "redis-server");
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    throw new IOException("redis-server is not on PATH (apt-get install -y redis-server; "
        + ".ci/run installs it)");
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
