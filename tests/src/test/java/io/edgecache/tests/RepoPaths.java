package io.edgecache.tests;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates files of the repository from wherever the test runs. */
final class RepoPaths {

  private RepoPaths() {}

  static Path root() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isRegularFile(dir.resolve("envoy/envoy.yaml"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException("cannot find the repository root (envoy/envoy.yaml) above "
          + Path.of("").toAbsolutePath());
    }
    return dir;
  }

  static Path envoyBootstrap() {
    return root().resolve("envoy/envoy.yaml");
  }
}
