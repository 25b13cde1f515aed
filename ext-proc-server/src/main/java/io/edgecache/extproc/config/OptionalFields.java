package io.edgecache.extproc.config;

import io.edgecache.config.ConfigException;
import io.edgecache.config.YamlNode;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Reads a field that may be omitted, of a section that may be omitted (a null
 * {@link YamlNode.Fields}), falling back to the default the caller takes from the config's
 * {@code defaults()}: the node's file states every field as optional.
 */
final class OptionalFields {
  private OptionalFields() {}

  /** The mapping at {@code name} of {@code parent}; null when either is absent. */
  static YamlNode.Fields section(YamlNode.Fields parent, String name, Collection<String> allowed)
      throws ConfigException {
    YamlNode node = parent == null ? null : parent.optional(name);
    return node == null ? null : node.mapping(allowed);
  }

  static long bytes(YamlNode.Fields section, String name, long fallback) throws ConfigException {
    YamlNode node = section == null ? null : section.optional(name);
    return node == null ? fallback : node.bytes();
  }

  /** A duration; zero allowed. */
  static Duration duration(YamlNode.Fields section, String name, Duration fallback)
      throws ConfigException {
    YamlNode node = section == null ? null : section.optional(name);
    return node == null ? fallback : node.duration();
  }

  /** A duration, zero allowed, that when given must be at most {@code limit} ({@code why}). */
  static Duration durationAtMost(YamlNode.Fields section, String name, Duration fallback,
      Duration limit, String why) throws ConfigException {
    Duration value = duration(section, name, fallback);
    if (section != null && section.optional(name) != null && value.compareTo(limit) > 0) {
      throw section.error(name, "must be at most " + inConfigTerms(limit) + ": " + why);
    }
    return value;
  }

  /** {@code limit} as the file would spell it: 1h, 90s, 500ms. */
  private static String inConfigTerms(Duration limit) {
    if (limit.toSeconds() % 3600 == 0 && limit.toNanosPart() == 0) {
      return limit.toHours() + "h";
    }
    return limit.toNanosPart() == 0 ? limit.toSeconds() + "s" : limit.toMillis() + "ms";
  }

  /** A duration that, when given, must be greater than zero (a default is not checked). */
  static Duration positiveDuration(YamlNode.Fields section, String name, Duration fallback)
      throws ConfigException {
    YamlNode node = section == null ? null : section.optional(name);
    Duration value = node == null ? fallback : node.duration();
    if (node != null && value.isZero()) {
      throw section.error(name, "must be greater than 0");
    }
    return value;
  }

  /** A byte size that, when given, must be greater than zero. */
  static long positiveBytes(YamlNode.Fields section, String name, long fallback)
      throws ConfigException {
    YamlNode node = section == null ? null : section.optional(name);
    long value = node == null ? fallback : node.bytes();
    if (node != null && value <= 0) {
      throw section.error(name, "must be greater than 0");
    }
    return value;
  }

  /** A count that, when given, must be greater than zero. */
  static int positiveInt(YamlNode.Fields section, String name, int fallback)
      throws ConfigException {
    YamlNode node = section == null ? null : section.optional(name);
    if (node == null) {
      return fallback;
    }
    int value;
    try {
      value = Integer.parseInt(node.string().trim());
    } catch (NumberFormatException e) {
      throw node.error("expected an integer, got '" + node.string() + "'");
    }
    if (value <= 0) {
      throw node.error("must be greater than 0");
    }
    return value;
  }

  /** A true/false field; absent is false. */
  static boolean flag(YamlNode.Fields section, String name) throws ConfigException {
    YamlNode node = section == null ? null : section.optional(name);
    return node != null && node.bool();
  }

  static String string(YamlNode.Fields section, String name, String fallback)
      throws ConfigException {
    YamlNode node = section == null ? null : section.optional(name);
    return node == null ? fallback : node.string();
  }

  /** The items of a list of strings; empty when absent. */
  static List<String> strings(YamlNode.Fields section, String name) throws ConfigException {
    List<String> values = new ArrayList<>();
    for (YamlNode item : section.list(name)) {
      values.add(item.string());
    }
    return values;
  }

  /** Header field names, lower-cased; empty when absent. */
  static List<String> headerNames(YamlNode.Fields section, String name) throws ConfigException {
    List<String> names = new ArrayList<>();
    for (YamlNode item : section.list(name)) {
      names.add(item.headerName());
    }
    return names;
  }

  /** {@code host:port}, not resolved. */
  static InetSocketAddress address(YamlNode node, InetSocketAddress fallback)
      throws ConfigException {
    return node == null ? fallback : node.hostPort().unresolved();
  }

  /**
   * An error about field {@code name} of {@code section}, or of the document's field of that
   * name when the section is omitted (its default broke a rule involving other fields).
   */
  static ConfigException error(YamlNode.Fields root, String sectionName, YamlNode.Fields section,
      String name, String problem) {
    return section != null ? section.error(name, problem)
        : ConfigException.at(root.node().file(), root.node().line(), sectionName + "." + name, problem);
  }
}
