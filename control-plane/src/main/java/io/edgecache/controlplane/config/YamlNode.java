package io.edgecache.controlplane.config;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * A node of a parsed YAML file that knows where it came from: its file, its line and its field
 * path ({@code sites[0].routes[1].cluster}). Every accessor that rejects the node throws a
 * {@link ConfigException} naming all three.
 */
final class YamlNode {
  private final String file;
  private final String field;
  private final Node node;

  private YamlNode(String file, String field, Node node) {
    this.file = file;
    this.field = field;
    this.node = node;
  }

  static YamlNode root(String file, Node node) {
    return new YamlNode(file, "", node);
  }

  String file() {
    return file;
  }

  String field() {
    return field;
  }

  int line() {
    return node.getStartMark().getLine() + 1;
  }

  /** An error located at this node. */
  ConfigException error(String message) {
    return new ConfigException(file + ":" + line() + ": " + (field.isEmpty() ? "(document)" : field) + ": " + message);
  }

  /** The node as a mapping whose keys must all be in {@code allowed}. */
  Fields mapping(Set<String> allowed) throws ConfigException {
    if (!(node instanceof MappingNode mapping)) {
      throw error("expected a mapping with fields " + new java.util.TreeSet<>(allowed));
    }
    Map<String, YamlNode> fields = new LinkedHashMap<>();
    for (NodeTuple tuple : mapping.getValue()) {
      YamlNode key = new YamlNode(file, field, tuple.getKeyNode());
      String name = key.string();
      YamlNode child = new YamlNode(file, field.isEmpty() ? name : field + "." + name, tuple.getValueNode());
      if (!allowed.contains(name)) {
        throw key.atField(child.field).error("unknown field (expected one of " + new java.util.TreeSet<>(allowed) + ")");
      }
      if (fields.put(name, child) != null) {
        throw key.atField(child.field).error("duplicate field");
      }
    }
    return new Fields(this, fields);
  }

  /** The node as a sequence; its items are named {@code field[i]}. */
  List<YamlNode> list() throws ConfigException {
    if (!(node instanceof SequenceNode sequence)) {
      throw error("expected a list");
    }
    List<YamlNode> items = new ArrayList<>();
    for (Node item : sequence.getValue()) {
      items.add(new YamlNode(file, field + "[" + items.size() + "]", item));
    }
    return items;
  }

  String string() throws ConfigException {
    if (!(node instanceof ScalarNode scalar)) {
      throw error("expected a single value");
    }
    return scalar.getValue();
  }

  /** A non-blank string. */
  String name() throws ConfigException {
    String value = string();
    if (value.isBlank()) {
      throw error("must not be empty");
    }
    return value;
  }

  boolean bool() throws ConfigException {
    return switch (string()) {
      case "true" -> true;
      case "false" -> false;
      default -> throw error("expected true or false, got '" + string() + "'");
    };
  }

  int positiveInt() throws ConfigException {
    try {
      int value = Integer.parseInt(string());
      if (value > 0) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw error("expected a positive integer, got '" + string() + "'");
  }

  /** {@code 500ms}, {@code 0.2s}, {@code 15s}, {@code 5m}, {@code 1h}, {@code 1d}; must be positive. */
  Duration duration() throws ConfigException {
    String text = string().trim();
    String[][] units = {{"ms", "0.001"}, {"s", "1"}, {"m", "60"}, {"h", "3600"}, {"d", "86400"}};
    for (String[] unit : units) {
      if (text.endsWith(unit[0]) && !(unit[0].equals("s") && text.endsWith("ms"))) {
        try {
          BigDecimal seconds = new BigDecimal(text.substring(0, text.length() - unit[0].length()))
              .multiply(new BigDecimal(unit[1]));
          if (seconds.signum() > 0) {
            return Duration.ofNanos(seconds.movePointRight(9).longValueExact());
          }
        } catch (NumberFormatException | ArithmeticException e) {
          // reported below
        }
        break;
      }
    }
    throw error("expected a positive duration like 500ms, 15s, 5m, 1h or 1d, got '" + text + "'");
  }

  /** {@code host:port}. */
  EdgecacheConfig.HostPort hostPort() throws ConfigException {
    String text = string();
    int colon = text.lastIndexOf(':');
    if (colon > 0) {
      try {
        int port = Integer.parseInt(text.substring(colon + 1));
        if (port > 0 && port <= 65535) {
          return new EdgecacheConfig.HostPort(text.substring(0, colon), port);
        }
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    throw error("expected host:port, got '" + text + "'");
  }

  private YamlNode atField(String otherField) {
    return new YamlNode(file, otherField, node);
  }

  /** The fields of a mapping node, looked up by name. */
  static final class Fields {
    private final YamlNode owner;
    private final Map<String, YamlNode> fields;

    private Fields(YamlNode owner, Map<String, YamlNode> fields) {
      this.owner = owner;
      this.fields = fields;
    }

    /** The field, or null when absent. */
    YamlNode optional(String name) {
      return fields.get(name);
    }

    YamlNode required(String name) throws ConfigException {
      YamlNode value = fields.get(name);
      if (value == null) {
        throw owner.atField(owner.field.isEmpty() ? name : owner.field + "." + name).error("required");
      }
      return value;
    }

    /** The items of an optional list field; empty when absent. */
    List<YamlNode> list(String name) throws ConfigException {
      YamlNode value = fields.get(name);
      return value == null ? List.of() : value.list();
    }
  }
}
