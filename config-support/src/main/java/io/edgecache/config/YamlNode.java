package io.edgecache.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * A node of a parsed YAML file that knows where it came from: its file, its line and its field
 * path ({@code sites[0].routes[1].cluster}). Every accessor that rejects the node, whether for
 * an unknown field, a wrong type or a bad value, throws a {@link ConfigException} naming all
 * three. Values are read as text and converted by the shared grammars ({@link Durations},
 * {@link ByteSizes}, {@link HostPort}, {@link HeaderNames}), never by YAML's own typing, so
 * {@code 0.5s}, {@code 1GiB} and {@code on} mean the same in every file.
 */
public final class YamlNode {
  private final String file;
  private final String field;
  private final Node node;

  private YamlNode(String file, String field, Node node) {
    this.file = file;
    this.field = field;
    this.node = node;
  }

  /**
   * Parses {@code file}; null when it holds no document (empty or only comments). Syntax
   * errors are reported at their line.
   */
  public static YamlNode read(Path file) throws ConfigException {
    try (Reader reader = Files.newBufferedReader(file)) {
      Node node = new Yaml(new LoaderOptions()).compose(reader);
      return node == null ? null : new YamlNode(file.toString(), "", node);
    } catch (MarkedYAMLException e) {
      int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
      throw ConfigException.at(file.toString(), line, "", "invalid YAML: " + e.getProblem(), e);
    } catch (YAMLException e) {
      // Unmarked: SnakeYAML's own limits (aliases beyond 50, nesting, document size).
      throw ConfigException.at(file.toString(), 0, "", "invalid YAML: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  public String file() {
    return file;
  }

  /** The field path; "" for the document itself. */
  public String field() {
    return field;
  }

  /** The 1-based line the node starts on (a block mapping's first key, a scalar's value). */
  public int line() {
    return node.getStartMark().getLine() + 1;
  }

  /** An error located at this node. */
  public ConfigException error(String problem) {
    return ConfigException.at(file, line(), field, problem);
  }

  /** The node as a mapping whose keys must all be in {@code allowed}. */
  public Fields mapping(Collection<String> allowed) throws ConfigException {
    if (!(node instanceof MappingNode)) {
      throw error("expected a mapping with fields " + new TreeSet<>(allowed));
    }
    return new Fields(this, fields(allowed));
  }

  /** The node as a mapping with keys of the caller's choosing, in file order. */
  public Map<String, YamlNode> entries() throws ConfigException {
    return fields(null);
  }

  /** Unknown (not in {@code allowed}, unless null) and duplicate keys are named at the key. */
  private Map<String, YamlNode> fields(Collection<String> allowed) throws ConfigException {
    if (!(node instanceof MappingNode mapping)) {
      throw error("expected a mapping");
    }
    Map<String, YamlNode> fields = new LinkedHashMap<>();
    for (NodeTuple tuple : mapping.getValue()) {
      String name = new YamlNode(file, field, tuple.getKeyNode()).string();
      String path = field.isEmpty() ? name : field + "." + name;
      YamlNode key = new YamlNode(file, path, tuple.getKeyNode());
      if (allowed != null && !allowed.contains(name)) {
        throw key.error("unknown field '" + path + "' (known fields: "
            + String.join(", ", new TreeSet<>(allowed)) + ")");
      }
      if (fields.put(name, new YamlNode(file, path, tuple.getValueNode())) != null) {
        throw key.error("duplicate field");
      }
    }
    return fields;
  }

  /** The node as a sequence; its items are named {@code field[i]}. */
  public List<YamlNode> list() throws ConfigException {
    if (!(node instanceof SequenceNode sequence)) {
      throw error("expected a list");
    }
    List<YamlNode> items = new ArrayList<>();
    for (Node item : sequence.getValue()) {
      items.add(new YamlNode(file, field + "[" + items.size() + "]", item));
    }
    return items;
  }

  /** Whether the node is YAML's null ({@code ~}, {@code null} or nothing after the colon). */
  public boolean isNull() {
    return node instanceof ScalarNode && Tag.NULL.equals(node.getTag());
  }

  public String string() throws ConfigException {
    if (!(node instanceof ScalarNode scalar)) {
      throw error("expected a single value");
    }
    return scalar.getValue();
  }

  /** A non-blank string. */
  public String name() throws ConfigException {
    String value = string();
    if (value.isBlank()) {
      throw error("must not be empty");
    }
    return value;
  }

  public boolean bool() throws ConfigException {
    return switch (string()) {
      case "true" -> true;
      case "false" -> false;
      default -> throw error("expected true or false, got '" + string() + "'");
    };
  }

  public int positiveInt() throws ConfigException {
    try {
      int value = Integer.parseInt(string().trim());
      if (value > 0) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw error("expected a positive integer, got '" + string() + "'");
  }

  /** A decimal number, e.g. {@code 0.1}. */
  public double decimal() throws ConfigException {
    try {
      return Double.parseDouble(string().trim());
    } catch (NumberFormatException e) {
      throw error("expected a number, got '" + string() + "'");
    }
  }

  /** A {@link Durations} value; zero allowed. */
  public Duration duration() throws ConfigException {
    return parsed(Durations::parse);
  }

  /** A {@link Durations} value greater than zero. */
  public Duration positiveDuration() throws ConfigException {
    Duration value;
    try {
      value = Durations.parse(string());
    } catch (IllegalArgumentException e) {
      value = Duration.ZERO;
    }
    if (value.isZero()) {
      throw error("expected a positive duration like 500ms, 0.5s, 15s, 5m, 1h or 1d, got '" + string() + "'");
    }
    return value;
  }

  /** A {@link ByteSizes} value. */
  public long bytes() throws ConfigException {
    return parsed(ByteSizes::parse);
  }

  /** A {@link HostPort} value. */
  public HostPort hostPort() throws ConfigException {
    return parsed(HostPort::parse);
  }

  /** A {@link HeaderNames} value, lower-cased. */
  public String headerName() throws ConfigException {
    return parsed(HeaderNames::parse);
  }

  /** The string converted by {@code grammar}, whose IllegalArgumentException is located here. */
  public <T> T parsed(Function<String, T> grammar) throws ConfigException {
    String text = string();
    try {
      return grammar.apply(text);
    } catch (IllegalArgumentException e) {
      throw error(e.getMessage());
    }
  }

  /** The fields of a mapping node, looked up by name; a field set to null counts as absent. */
  public static final class Fields {
    private final YamlNode owner;
    private final Map<String, YamlNode> fields;

    private Fields(YamlNode owner, Map<String, YamlNode> fields) {
      this.owner = owner;
      this.fields = fields;
    }

    /**
     * The top-level fields of several files as one mapping, for a configuration split over a
     * directory: each field may come from one file only (a second is an error at it, naming the
     * first), and what concerns the mapping as a whole is located at the first file.
     */
    public static Fields union(List<Fields> parts) throws ConfigException {
      if (parts.isEmpty()) {
        throw new IllegalArgumentException("no parts to join");
      }
      Map<String, YamlNode> joined = new LinkedHashMap<>();
      for (Fields part : parts) {
        for (Map.Entry<String, YamlNode> field : part.fields.entrySet()) {
          YamlNode earlier = joined.putIfAbsent(field.getKey(), field.getValue());
          if (earlier != null) {
            throw field.getValue().error("already defined at " + earlier.file() + ":"
                + earlier.line() + "; a field may be set in one file of the directory only");
          }
        }
      }
      return new Fields(parts.get(0).owner, joined);
    }

    /** The mapping node itself. */
    public YamlNode node() {
      return owner;
    }

    /** The field, or null when absent. */
    public YamlNode optional(String name) {
      YamlNode value = fields.get(name);
      return value == null || value.isNull() ? null : value;
    }

    public YamlNode required(String name) throws ConfigException {
      YamlNode value = optional(name);
      if (value == null) {
        throw error(name, "required");
      }
      return value;
    }

    /** The items of an optional list field; empty when absent. */
    public List<YamlNode> list(String name) throws ConfigException {
      YamlNode value = optional(name);
      return value == null ? List.of() : value.list();
    }

    /** An error about field {@code name} of this mapping, located at it or, when absent, at the mapping. */
    public ConfigException error(String name, String problem) {
      YamlNode value = fields.get(name);
      if (value != null) {
        return value.error(problem);
      }
      String path = owner.field.isEmpty() ? name : owner.field + "." + name;
      return ConfigException.at(owner.file, owner.line(), path, problem);
    }
  }
}
