package io.edgecache.extproc.config;

/** A configuration that cannot be used; the message names the file and the field. */
public final class ConfigException extends Exception {
  public ConfigException(String message) {
    super(message);
  }
}
