package io.edgecache.extproc.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One {@code redis-server} process on a free loopback port, without persistence, that answers
 * PING once started; plus the few commands tests need to set it up, over a plain socket so
 * setting up never depends on the client under test. Shared by {@link RedisServer} and
 * {@link RedisCluster}.
 *
 * <p>The port is probed (bound to 0, read, released) because redis-server must be told it; in
 * between, the kernel may give it to any other socket, so a start whose redis-server exits with
 * "Address already in use" is tried again on a new port, and the process's own "Ready" line,
 * not just a PONG that another Redis on the port could send, says it started.
 */
final class RedisProcess implements AutoCloseable {

  private static final Duration READY_DEADLINE = Duration.ofSeconds(10);
  private static final int SOCKET_TIMEOUT_MILLIS = 5_000;
  /** Starts tried before a run of lost port races fails. */
  private static final int ATTEMPTS = 5;
  /** A cluster node's bus listens 10000 above its port, so Redis refuses ports above this. */
  private static final int HIGHEST_PORT = 55535;
  /**
   * Probes tried for a port at most {@link #HIGHEST_PORT}. On Linux a probe (SO_REUSEADDR, as
   * Java's are) gets a port from the lower half of the ephemeral range, so the first fits; not
   * so where the range is higher (macOS: 49152-65535, where about 2 in 5 fit).
   */
  private static final int PROBES = 50;

  private final Path executable;
  private final int port;
  private final List<String> extraArguments;
  /** What redis-server prints: how a lost port race and readiness are told apart. */
  private final Path log;
  private Process process;
  /** While stopped: keeps the port from other sockets until {@link #start()} binds it again. */
  private Socket reservation;

  /**
   * Starts {@code executable} with the common arguments and {@code extraArguments}, again on a
   * new port when another socket took the probed one first.
   */
  static RedisProcess start(Path executable, List<String> extraArguments)
      throws IOException, InterruptedException {
    for (int attempt = 1; ; attempt++) {
      RedisProcess redis = new RedisProcess(executable, probePort(), extraArguments);
      try {
        redis.start();
        return redis;
      } catch (PortTaken e) {
        redis.close();
        if (attempt == ATTEMPTS) {
          throw new IOException("each of " + ATTEMPTS + " starts of " + executable
              + " lost its probed port to another socket; the last: " + e.getMessage(), e);
        }
      } catch (IOException | InterruptedException | RuntimeException e) {
        redis.close();
        throw e;
      }
    }
  }

  private RedisProcess(Path executable, int port, List<String> extraArguments)
      throws IOException {
    this.executable = executable;
    this.port = port;
    this.extraArguments = List.copyOf(extraArguments);
    this.log = Files.createTempFile("redis-" + port + "-", ".log");
  }

  int port() {
    return port;
  }

  String uri() {
    return "redis://127.0.0.1:" + port;
  }

  /** Starts the process again on the same port, after {@link #stop()}. */
  void start() throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(executable.toString(),
        "--port", String.valueOf(port), "--bind", "127.0.0.1", "--save", "",
        "--appendonly", "no"));
    command.addAll(extraArguments);
    process = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    long deadline = System.nanoTime() + READY_DEADLINE.toNanos();
    while (!output().contains("Ready to accept connections") || !answersPing()) {
      if (System.nanoTime() > deadline || !process.isAlive()) {
        process.destroyForcibly();
        String output = output();
        if (output.contains("Address already in use")) {
          throw new PortTaken(executable + " could not listen on port " + port + ":\n" + output);
        }
        throw new IOException(executable + " did not answer PING on port " + port + ":\n" + output);
      }
      Thread.sleep(20); // polling readiness, bounded by the deadline
    }
    release();
  }

  /** A start that failed because another socket holds the port. */
  private static final class PortTaken extends IOException {
    PortTaken(String message) {
      super(message);
    }
  }

  private String output() throws IOException {
    return Files.readString(log, StandardCharsets.UTF_8);
  }

  /**
   * Kills the process, as an outage would, and reserves its port: a socket bound to it and not
   * listening, so connecting is refused as before, but the kernel gives the port to no other
   * socket (bind(0) and outgoing connections skip it) except a listener binding it by number
   * with SO_REUSEADDR, as redis-server does when {@link #start()} brings it back (Linux).
   */
  void stop() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
    if (!System.getProperty("os.name", "").startsWith("Linux")) {
      return; // BSD and macOS would refuse the restart's bind next to a reservation
    }
    Socket socket = new Socket();
    try {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      reservation = socket;
    } catch (IOException e) {
      // not yet released: unreserved, the port is merely as a restart always found it
      closeQuietly(socket);
    }
  }

  private void release() {
    if (reservation != null) {
      closeQuietly(reservation);
      reservation = null;
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // an unconnected socket: its port is freed either way
    }
  }

  @Override
  public void close() {
    release();
    try {
      if (process != null) { // null when the executable could not be run
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      Files.deleteIfExists(log);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      // a temp file left behind harms nothing
    }
  }

  /**
   * Sends one command and returns its reply: a status, integer or bulk string as text (null
   * for a null bulk string). Fails on an error reply; arrays are not needed here.
   */
  String command(String... arguments) throws IOException {
    try (Socket socket = connect()) {
      OutputStream out = socket.getOutputStream();
      StringBuilder request = new StringBuilder("*").append(arguments.length).append("\r\n");
      for (String argument : arguments) {
        byte[] utf8 = argument.getBytes(StandardCharsets.UTF_8);
        request.append('$').append(utf8.length).append("\r\n").append(argument).append("\r\n");
      }
      out.write(request.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
      return reply(new BufferedInputStream(socket.getInputStream()));
    }
  }

  boolean answersPing() {
    try {
      return "PONG".equals(command("PING"));
    } catch (IOException e) {
      return false;
    }
  }

  private Socket connect() throws IOException {
    Socket socket = new Socket();
    try {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
      socket.setSoTimeout(SOCKET_TIMEOUT_MILLIS);
      return socket;
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  private static String reply(InputStream in) throws IOException {
    int type = in.read();
    String line = line(in);
    switch (type) {
      case '+', ':' -> {
        return line;
      }
      case '-' -> throw new IOException("redis replied " + line);
      case '$' -> {
        int length = Integer.parseInt(line);
        if (length < 0) {
          return null;
        }
        String bulk = new String(in.readNBytes(length), StandardCharsets.UTF_8);
        line(in); // the CRLF after the bulk string
        return bulk;
      }
      default -> throw new IOException("unexpected reply type " + type + ": " + line);
    }
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b != '\r'; b = in.read()) {
      if (b < 0) {
        throw new IOException("connection closed mid-reply");
      }
      line.write(b);
    }
    in.read(); // '\n'
    return line.toString(StandardCharsets.UTF_8);
  }

  /**
   * A loopback port at most {@link #HIGHEST_PORT} that was free a moment ago. The probes are
   * held until one fits, so the kernel does not offer the same port again.
   */
  private static int probePort() throws IOException {
    List<ServerSocket> probes = new ArrayList<>();
    try {
      for (int i = 0; i < PROBES; i++) {
        ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        probes.add(probe);
        if (probe.getLocalPort() <= HIGHEST_PORT) {
          return probe.getLocalPort();
        }
      }
      throw new IOException("no free loopback port at most " + HIGHEST_PORT + " in " + PROBES
          + " probes (see /proc/sys/net/ipv4/ip_local_port_range)");
    } finally {
      for (ServerSocket probe : probes) {
        probe.close();
      }
    }
  }
}
