package io.edgecache.extproc.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A real {@code redis-server} (PATH's, else embedded-redis's: see {@link RedisExecutable}) on
 * a free loopback port, without persistence. It can be stopped and started again on the same
 * port to simulate an outage.
 */
public final class RedisServer implements AutoCloseable {

  private final RedisProcess process;

  private RedisServer(RedisProcess process) {
    this.process = process;
  }

  /** Starts a server; fails with how to install one when no redis-server can be found. */
  public static RedisServer start() throws IOException, InterruptedException {
    return start(RedisExecutable::find);
  }

  /**
   * Starts a server that appends every write to a file in {@code dir}, fsync'd before it
   * answers ({@code appendonly yes}, {@code appendfsync always}): what it acknowledged survives
   * {@link #stop()} and {@link #restart()}.
   */
  public static RedisServer startDurable(Path dir) throws IOException, InterruptedException {
    return new RedisServer(RedisProcess.start(((RedisExecutable.Source) RedisExecutable::find).resolve(),
        List.of("--appendonly", "yes", "--appendfsync", "always", "--dir", dir.toString())));
  }

  /** Starts a server on the executable {@code source} names. */
  static RedisServer start(RedisExecutable.Source source)
      throws IOException, InterruptedException {
    return new RedisServer(RedisProcess.start(source.resolve(), List.of()));
  }

  public String uri() {
    return process.uri();
  }

  /** Kills the server, as an outage would. */
  public void stop() throws InterruptedException {
    process.stop();
  }

  public void restart() throws IOException, InterruptedException {
    process.start();
  }

  /** Sends one command over a fresh socket; see {@link RedisProcess#command}. */
  String command(String... arguments) throws IOException {
    return process.command(arguments);
  }

  @Override
  public void close() {
    process.close();
  }
}
