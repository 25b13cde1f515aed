package io.edgecache.controlplane.config;

/**
 * A control-plane configuration that cannot be served. The message names the file, the line
 * and the field, e.g. {@code control-plane.yaml:12: sites[0].routes[1].cluster: unknown cluster 'api'}.
 */
public final class ConfigException extends Exception {
  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
