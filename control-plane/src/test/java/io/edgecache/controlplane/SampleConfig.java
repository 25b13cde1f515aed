package io.edgecache.controlplane;

import java.nio.file.Path;

/** The repository's sample configuration, as seen from the module directory tests run in. */
public final class SampleConfig {
  public static final Path PATH = Path.of("..", "config", "control-plane.yaml");

  private SampleConfig() {}
}
