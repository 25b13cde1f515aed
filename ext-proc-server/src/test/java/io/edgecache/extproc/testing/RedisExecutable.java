package io.edgecache.extproc.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Where tests get {@code redis-server}: from PATH, else the Linux binary shipped in the
 * {@code com.github.codemonstur:embedded-redis} test dependency, so a machine without Redis
 * installed still runs the store tests (on that binary's older Redis, 6.2).
 */
public final class RedisExecutable {

  /** Finds the executable to run; a strategy, so a test can force the fallback. */
  @FunctionalInterface
  interface Source {
    Path resolve() throws IOException;
  }

  /** The embedded binary, extracted once per JVM. */
  private static Path extracted;

  private RedisExecutable() {}

  /** PATH's redis-server if there is one, else the embedded one. */
  static Path find() throws IOException {
    Path onPath = onPath();
    return onPath != null ? onPath : embedded();
  }

  /** redis-server from PATH, or null. */
  static Path onPath() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(dir, "redis-server");
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  /** The binary embedded-redis ships for this machine, copied out of the jar and made runnable. */
  static synchronized Path embedded() throws IOException {
    if (extracted != null) {
      return extracted;
    }
    String resource = embeddedResource();
    try (InputStream binary = RedisExecutable.class.getResourceAsStream(resource)) {
      if (binary == null) {
        throw new IOException("redis-server is not on PATH and the embedded-redis jar has no "
            + resource + " (apt-get install -y redis-server; .ci/run installs it)");
      }
      Path file = Files.createTempFile("redis-server-", "");
      file.toFile().deleteOnExit();
      Files.copy(binary, file, StandardCopyOption.REPLACE_EXISTING);
      if (!file.toFile().setExecutable(true, true)) {
        throw new IOException("cannot make " + file + " executable");
      }
      extracted = file;
      return file;
    }
  }

  /** The jar's resource for this OS and CPU (names as in embedded-redis 1.4.x). */
  private static String embeddedResource() throws IOException {
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch");
    if (os.contains("linux") && (arch.equals("amd64") || arch.equals("x86_64"))) {
      return "/redis-server-6.2.6-v5-linux-amd64";
    }
    if (os.contains("linux") && arch.equals("aarch64")) {
      return "/redis-server-6.2.7-linux-arm64";
    }
    throw new IOException("redis-server is not on PATH and embedded-redis ships none for "
        + os + "/" + arch + " (install redis-server)");
  }
}
