package io.edgecache.edge.config;

/**
 * A configuration file or value local-edge cannot use. The message is meant to be shown to
 * the user as is: it names the file and the offending field.
 */
public final class ConfigException extends Exception {
  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
