package io.edgecache.edge;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates repository files from a test's working directory. */
final class RepoFiles {
  private RepoFiles() {}

  /** The repository root: the nearest ancestor holding an {@code envoy/} directory. */
  static Path root() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("envoy"))) {
        return dir;
      }
    }
    throw new IllegalStateException("no envoy/ directory above " + Path.of("").toAbsolutePath());
  }

  static Path envoyYaml() {
    return root().resolve("envoy/envoy.yaml");
  }
}
