package io.edgecache.extproc.config;

import io.edgecache.http.UnkeyedRequestHeaders;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsers for the human-friendly value forms the YAML configuration accepts. */
public final class ConfigValues {

  private static final Pattern BYTES = Pattern.compile("(\\d+)\\s*(B|KiB|MiB|GiB|KB|MB|GB)?");
  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

  private ConfigValues() {}

  /** "8MiB", "1048576", "512KiB" → bytes. */
  public static long bytes(String field, String text) throws ConfigException {
    Matcher m = BYTES.matcher(text.trim());
    if (!m.matches()) {
      throw new ConfigException(
          field + ": '" + text + "' is not a byte size (examples: 1048576, 512KiB, 8MiB, 1GiB)");
    }
    long value = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "B" : m.group(2);
    long multiplier =
        switch (unit) {
          case "KiB", "KB" -> 1L << 10;
          case "MiB", "MB" -> 1L << 20;
          case "GiB", "GB" -> 1L << 30;
          default -> 1;
        };
    return Math.multiplyExact(value, multiplier);
  }

  /** {@link #bytes(String, String)} of {@code text}, or {@code fallback} when it is unset. */
  public static long bytes(String field, String text, long fallback) throws ConfigException {
    return text == null ? fallback : bytes(field, text);
  }

  /** "200ms", "5s", "1m", "2h", "1d" → duration. */
  public static Duration duration(String field, String text) throws ConfigException {
    Matcher m = DURATION.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new ConfigException(
          field + ": '" + text + "' is not a duration (examples: 200ms, 5s, 1m, 2h, 1d)");
    }
    long value = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(value);
      case "s" -> Duration.ofSeconds(value);
      case "m" -> Duration.ofMinutes(value);
      case "h" -> Duration.ofHours(value);
      default -> Duration.ofDays(value);
    };
  }

  /** {@link #duration(String, String)} of {@code text}, or {@code fallback} when it is unset. */
  public static Duration duration(String field, String text, Duration fallback)
      throws ConfigException {
    return text == null ? fallback : duration(field, text);
  }

  /** " X-Purge-Key " → "x-purge-key": a header field name (RFC 9110 token), lower-cased. */
  public static String headerFieldName(String field, String text) throws ConfigException {
    String name = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    if (!UnkeyedRequestHeaders.isLowerCaseFieldName(name)) {
      throw new ConfigException(field + ": '" + text + "' is not a header field name");
    }
    return name;
  }

  /** "127.0.0.1:50051", "[::1]:50051", "0.0.0.0:50051" → socket address (not resolved). */
  public static InetSocketAddress hostAndPort(String field, String text) throws ConfigException {
    String value = text.trim();
    int colon = value.lastIndexOf(':');
    if (colon <= 0 || colon == value.length() - 1) {
      throw new ConfigException(field + ": '" + text + "' is not host:port");
    }
    String host = value.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(value.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new ConfigException(field + ": '" + text + "' has a port that is not a number");
    }
    if (port < 0 || port > 65535) {
      throw new ConfigException(field + ": port " + port + " is outside 0-65535");
    }
    return InetSocketAddress.createUnresolved(host, port);
  }

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
