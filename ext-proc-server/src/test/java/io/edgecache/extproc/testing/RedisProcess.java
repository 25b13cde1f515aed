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
 */
final class RedisProcess implements AutoCloseable {

  private static final Duration READY_DEADLINE = Duration.ofSeconds(10);
  private static final int SOCKET_TIMEOUT_MILLIS = 5_000;

  private final Path executable;
  private final int port;
  private final List<String> extraArguments;
  private Process process;

  /** Starts {@code executable} with the common arguments and {@code extraArguments}. */
  static RedisProcess start(Path executable, List<String> extraArguments)
      throws IOException, InterruptedException {
    RedisProcess redis = new RedisProcess(executable, freePort(), extraArguments);
    redis.start();
    return redis;
  }

  private RedisProcess(Path executable, int port, List<String> extraArguments) {
    this.executable = executable;
    this.port = port;
    this.extraArguments = List.copyOf(extraArguments);
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
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
    long deadline = System.nanoTime() + READY_DEADLINE.toNanos();
    while (!answersPing()) {
      if (System.nanoTime() > deadline || !process.isAlive()) {
        process.destroyForcibly();
        throw new IOException(executable + " did not answer PING on port " + port);
      }
      Thread.sleep(20); // polling readiness, bounded by the deadline
    }
  }

  /** Kills the process, as an outage would. */
  void stop() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    process.destroyForcibly();
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

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
