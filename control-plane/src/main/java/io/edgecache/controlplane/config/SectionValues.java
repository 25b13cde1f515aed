package io.edgecache.controlplane.config;

import io.edgecache.config.ConfigException;
import io.edgecache.config.YamlNode;
import io.edgecache.controlplane.config.EdgecacheConfig.HostPort;
import java.time.Duration;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Value forms the control plane's sections share beyond config-support's grammars: a host:port
 * that can be connected to, an enum spelled in kebab case, a duration with its default.
 */
final class SectionValues {
  private SectionValues() {}

  /** {@code host:port} with a port to connect to or listen on (1 to 65535). */
  static HostPort hostPort(YamlNode node) throws ConfigException {
    io.edgecache.config.HostPort parsed = node.hostPort();
    if (parsed.port() == 0) {
      throw node.error("expected host:port with a port from 1 to 65535, got '" + node.string() + "'");
    }
    return new HostPort(parsed.host(), parsed.port());
  }

  /** {@code ROUND_ROBIN} is written {@code round-robin} (any case). */
  static <E extends Enum<E>> E enumValue(YamlNode node, Class<E> type) throws ConfigException {
    String text = node.string();
    for (E value : type.getEnumConstants()) {
      if (value.name().replace('_', '-').equalsIgnoreCase(text)) {
        return value;
      }
    }
    throw node.error("expected one of " + Stream.of(type.getEnumConstants())
        .map(v -> v.name().replace('_', '-').toLowerCase(Locale.ROOT)).toList() + ", got '" + text + "'");
  }

  /** An optional enum field: {@code fallback} when absent. */
  static <E extends Enum<E>> E enumOr(YamlNode node, Class<E> type, E fallback) throws ConfigException {
    return node == null ? fallback : enumValue(node, type);
  }

  /** An optional positive duration: {@code fallback} when absent. */
  static Duration durationOr(YamlNode node, Duration fallback) throws ConfigException {
    return node == null ? fallback : node.positiveDuration();
  }

  /** An optional true/false field: {@code fallback} when absent. */
  static boolean boolOr(YamlNode node, boolean fallback) throws ConfigException {
    return node == null ? fallback : node.bool();
  }
}
