package io.edgecache.controlplane.config;

import com.google.protobuf.Message;
import io.edgecache.config.ConfigException;
import io.edgecache.config.YamlNode;
import io.edgecache.controlplane.xds.ProtoRules;
import io.edgecache.controlplane.xds.SnapshotTranslator;
import java.util.List;

/**
 * Rejects at load what Envoy would NACK: a resource generated from a YAML section is checked
 * with its protos' validation rules ({@link ProtoRules}), so a bad value is reported at its line
 * rather than as a NACK after the push.
 */
final class EnvoyAcceptance {
  private static final ProtoRules RULES = new ProtoRules(SnapshotTranslator.PACKED_TYPES::find);

  private EnvoyAcceptance() {}

  /**
   * Throws the first violation of {@code resource}, generated from the mapping {@code fields}.
   * The error points at the YAML field the violated proto field comes from (its lowerCamelCase
   * name, innermost first), else at the mapping.
   */
  static void require(Message resource, YamlNode.Fields fields) throws ConfigException {
    List<String> violations = RULES.violations(resource);
    if (violations.isEmpty()) {
      return;
    }
    String first = violations.get(0);
    String[] path = first.substring(0, first.indexOf(':')).replaceAll("\\[[^]]*]", "").split("\\.");
    YamlNode at = fields.optional(lowerCamel(path[path.length - 1]));
    if (at == null) {
      at = fields.optional(lowerCamel(path[0]));
    }
    throw (at == null ? fields.node() : at).error("Envoy would reject the generated "
        + resource.getDescriptorForType().getName() + ": " + first);
  }

  private static String lowerCamel(String snake) {
    StringBuilder out = new StringBuilder(snake.length());
    for (int i = 0; i < snake.length(); i++) {
      char c = snake.charAt(i);
      if (c == '_' && i + 1 < snake.length()) {
        out.append(Character.toUpperCase(snake.charAt(++i)));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
