package io.edgecache.config;

import java.util.Optional;

/**
 * A configuration that cannot be used, by any of the three processes. A problem found in a file
 * carries its place: the message reads {@code file:line: field.path: problem}, e.g.
 * {@code edgecache.yaml:12: tiers.l1.maxBytes: '8 parsecs' is not a byte size}; problems that
 * belong to no place in a file (a command-line flag, a missing file) carry only their text.
 */
public final class ConfigException extends Exception {
  private final String file;
  private final int line;
  private final String field;
  private final String problem;

  /** A problem with no place in a file; {@code message} is shown as is. */
  public ConfigException(String message) {
    this(message, (Throwable) null);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
    this.file = null;
    this.line = 0;
    this.field = null;
    this.problem = message;
  }

  private ConfigException(String message, String file, int line, String field, String problem,
      Throwable cause) {
    super(message, cause);
    this.file = file;
    this.line = line;
    this.field = field;
    this.problem = problem;
  }

  /** A problem at {@code line} (1-based) of {@code file}, in {@code field} ("" for the document). */
  public static ConfigException at(String file, int line, String field, String problem) {
    return at(file, line, field, problem, null);
  }

  static ConfigException at(String file, int line, String field, String problem, Throwable cause) {
    String message = file + ":" + line + ": " + (field.isEmpty() ? "(document)" : field) + ": " + problem;
    return new ConfigException(message, file, line, field, problem, cause);
  }

  /** The file the problem is in, when it is in one. */
  public Optional<String> file() {
    return Optional.ofNullable(file);
  }

  /** The 1-based line of {@link #file()}; 0 when the problem has no place in a file. */
  public int line() {
    return line;
  }

  /** What is wrong, without the place: the whole message when there is no place. */
  public String problem() {
    return problem;
  }

  /** The field path, e.g. {@code sites[0].routes[1].cluster}; "" for the whole document. */
  public Optional<String> field() {
    return Optional.ofNullable(field);
  }
}
