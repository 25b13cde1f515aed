package io.edgecache.extproc.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Secret files the configuration names (tokens, keys), read where they are used. */
public final class ConfigValues {

  private ConfigValues() {}

  /**
   * The text of the secret file {@code file} named by {@code field}, read as UTF-8 and not yet
   * trimmed (each caller trims and checks it its own way); a read that fails names the field.
   */
  public static String readSecret(String field, Path file) throws IOException {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IOException(field + ": cannot read " + file + ": " + e, e);
    }
  }
}
