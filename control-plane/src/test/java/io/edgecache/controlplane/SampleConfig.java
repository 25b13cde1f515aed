package io.edgecache.controlplane;

import java.nio.file.Path;

/** The repository's sample configuration, as seen from the module directory tests run in. */
public final class SampleConfig {
  public static final Path PATH = Path.of("..", "config", "control-plane.yaml");

  private SampleConfig() {}

  /**
   * The sample's text without its purge section, whose fixed admin port and log path belong
   * to the demo, not to tests running side by side.
   */
  public static String withoutPurge() throws java.io.IOException {
    return java.nio.file.Files.readString(PATH).replaceFirst("(?s)\n# Purge coordination.*", "\n");
  }
}
