package io.edgecache.bench.burst;

import java.net.URI;
import java.time.Duration;
import java.util.List;

/** Fires one burst: every request at once, each bounded by its own timeout. */
interface BurstClient {

  /** One request's outcome; {@code status} 0 when it failed or timed out. */
  record Answer(int status, String cacheStatus, long nanos) {}

  List<Answer> fire(URI target, int requests, Duration timeout) throws Exception;

  static BurstClient named(String name) {
    return switch (name) {
      case "java" -> new JdkBurstClient();
      case "curl" -> new CurlBurstClient();
      default -> throw new IllegalArgumentException("--client must be java or curl, not " + name);
    };
  }
}
