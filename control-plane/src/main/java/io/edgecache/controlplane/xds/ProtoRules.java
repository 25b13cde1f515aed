package io.edgecache.controlplane.xds;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.Durations;
import com.google.re2j.Pattern;
import io.envoyproxy.pgv.validate.Validate;
import io.envoyproxy.pgv.validate.Validate.FieldRules;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Checks a message against the protoc-gen-validate rules its .proto declares
 * ({@code (validate.rules)} field options, {@code (validate.required)} oneofs), the rules Envoy
 * enforces when it loads a resource (and NACKs it when one fails). The envoy api jar ships the
 * rules as descriptor options but no generated validators, so this reads the options generically:
 * every rule kind of validate.proto is interpreted (numbers, durations, strings and bytes, enums,
 * repeated, map and any rules, message required/skip), except the string and bytes well-known
 * formats other than the HTTP header name and value regexes, and timestamp rules, which no
 * resource edgecache generates uses. {@code Any} fields are unpacked with {@code types} and
 * checked too.
 */
public final class ProtoRules {
  /** Envoy's HTTP header regexes from validate.proto's KnownRegex. */
  private static final Pattern HEADER_NAME = Pattern.compile("^:?[0-9a-zA-Z!#$%&'*+-.^_|~`]+$");
  private static final Pattern HEADER_VALUE = Pattern.compile("^[^\\x00-\\x08\\x0A-\\x1F\\x7F]*$");
  /** With {@code strict: false}, names and values need only be free of NUL, CR and LF. */
  private static final Pattern NO_NUL_CR_LF = Pattern.compile("^[^\\x00\\n\\r]*$");

  private final Function<String, Descriptor> types;

  /** {@code types} finds the descriptor of a full type name packed in an {@code Any}, or null. */
  public ProtoRules(Function<String, Descriptor> types) {
    this.types = types;
  }

  /** Every violation in {@code message}, each as {@code field.path: what is wrong}. */
  public List<String> violations(MessageOrBuilder message) {
    List<String> out = new ArrayList<>();
    check(message, "", out);
    return out;
  }

  private void check(MessageOrBuilder message, String path, List<String> out) {
    Descriptor type = message.getDescriptorForType();
    if (type.getOptions().getExtension(Validate.disabled) || type.getOptions().getExtension(Validate.ignored)) {
      return;
    }
    if (type.getFullName().equals(Any.getDescriptor().getFullName())) {
      checkAny(asAny(message), path, out);
      return;
    }
    for (OneofDescriptor oneof : type.getRealOneofs()) {
      if (oneof.getOptions().getExtension(Validate.required) && !message.hasOneof(oneof)) {
        out.add(join(path, oneof.getName()) + ": exactly one field is required");
      }
    }
    for (FieldDescriptor field : type.getFields()) {
      String where = join(path, field.getName());
      FieldRules rules = field.getOptions().getExtension(Validate.rules);
      boolean present = field.isRepeated() ? message.getRepeatedFieldCount(field) > 0 : message.hasField(field);
      if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !field.isRepeated()) {
        checkMessageField(message, field, rules, present, where, out);
      } else if (field.isMapField()) {
        checkMap(message, field, rules, where, out);
      } else if (field.isRepeated()) {
        checkRepeated(message, field, rules, where, out);
      } else if (rules.getTypeCase() != FieldRules.TypeCase.TYPE_NOT_SET
          && (present || field.getContainingOneof() == null)) {
        // A proto3 scalar is checked even when it holds its default value, as PGV does;
        // a member of a oneof only when it is the one set.
        checkScalar(message.getField(field), field, rules, where, out);
      }
    }
  }

  private void checkMessageField(MessageOrBuilder message, FieldDescriptor field, FieldRules rules,
      boolean present, String where, List<String> out) {
    if (!present) {
      if (field.getContainingOneof() != null) {
        return; // a oneof member's rules apply only to the member that is set
      }
      boolean required = rules.getMessage().getRequired()
          || (rules.hasDuration() && rules.getDuration().getRequired())
          || (rules.hasAny() && rules.getAny().getRequired())
          || (rules.hasTimestamp() && rules.getTimestamp().getRequired());
      if (required) {
        out.add(where + ": value is required");
      }
      return;
    }
    Message value = (Message) message.getField(field);
    if (isWrapper(field.getMessageType())) {
      // google.protobuf.*Value fields carry the rules of the value they wrap.
      FieldDescriptor inner = field.getMessageType().findFieldByName("value");
      checkScalar(value.getField(inner), inner, rules, where, out);
      return;
    }
    if (rules.hasDuration()) {
      checkDuration(asDuration(value), rules.getDuration(), where, out);
    }
    if (rules.hasAny()) {
      checkAnyRules(asAny(value), rules.getAny(), where, out);
    }
    if (!rules.getMessage().getSkip()) {
      check(value, where, out);
    }
  }

  private void checkRepeated(MessageOrBuilder message, FieldDescriptor field, FieldRules rules, String where,
      List<String> out) {
    int count = message.getRepeatedFieldCount(field);
    Validate.RepeatedRules repeated = rules.getRepeated();
    if (repeated.hasMinItems() && count < repeated.getMinItems()) {
      out.add(where + ": at least " + repeated.getMinItems() + " item(s) required");
    }
    if (repeated.hasMaxItems() && count > repeated.getMaxItems()) {
      out.add(where + ": at most " + repeated.getMaxItems() + " item(s) allowed");
    }
    HashSet<Object> seen = new HashSet<>();
    for (int i = 0; i < count; i++) {
      Object item = message.getRepeatedField(field, i);
      String at = where + "[" + i + "]";
      if (repeated.getUnique() && !seen.add(item)) {
        out.add(at + ": items must be unique");
      }
      if (item instanceof Message child) {
        if (repeated.getItems().hasDuration()) {
          checkDuration(asDuration(child), repeated.getItems().getDuration(), at, out);
        }
        if (!repeated.getItems().getMessage().getSkip()) {
          check(child, at, out);
        }
      } else if (repeated.hasItems()) {
        checkScalar(item, field, repeated.getItems(), at, out);
      }
    }
  }

  private void checkMap(MessageOrBuilder message, FieldDescriptor field, FieldRules rules, String where,
      List<String> out) {
    int count = message.getRepeatedFieldCount(field);
    Validate.MapRules map = rules.getMap();
    if (map.hasMinPairs() && count < map.getMinPairs()) {
      out.add(where + ": at least " + map.getMinPairs() + " pair(s) required");
    }
    if (map.hasMaxPairs() && count > map.getMaxPairs()) {
      out.add(where + ": at most " + map.getMaxPairs() + " pair(s) allowed");
    }
    FieldDescriptor keyField = field.getMessageType().findFieldByName("key");
    FieldDescriptor valueField = field.getMessageType().findFieldByName("value");
    for (int i = 0; i < count; i++) {
      Message entry = (Message) message.getRepeatedField(field, i);
      Object key = entry.getField(keyField);
      Object value = entry.getField(valueField);
      String at = where + "[" + key + "]";
      if (map.hasKeys()) {
        checkScalar(key, keyField, map.getKeys(), at, out);
      }
      if (value instanceof Message child) {
        if (!map.getValues().getMessage().getSkip()) {
          check(child, at, out);
        }
      } else if (map.hasValues()) {
        checkScalar(value, valueField, map.getValues(), at, out);
      }
    }
  }

  private void checkAny(Any any, String path, List<String> out) {
    String typeName = any.getTypeUrl().substring(any.getTypeUrl().lastIndexOf('/') + 1);
    Descriptor type = types.apply(typeName);
    if (type == null) {
      out.add(join(path, "type_url") + ": " + typeName + " is not a type this check knows");
      return;
    }
    try {
      check(DynamicMessage.parseFrom(type, any.getValue()), path, out);
    } catch (InvalidProtocolBufferException e) {
      out.add(path + ": not a valid " + typeName + ": " + e.getMessage());
    }
  }

  /** Inside an unpacked Any, well-known types are DynamicMessages; these give the generated ones. */
  private static Any asAny(MessageOrBuilder message) {
    return message instanceof Any any ? any : reparse(message, Any.parser());
  }

  private static com.google.protobuf.Duration asDuration(MessageOrBuilder message) {
    return message instanceof com.google.protobuf.Duration duration ? duration
        : reparse(message, com.google.protobuf.Duration.parser());
  }

  private static <T> T reparse(MessageOrBuilder message, com.google.protobuf.Parser<T> parser) {
    try {
      return parser.parseFrom(((Message) message).toByteString());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a " + message.getDescriptorForType().getFullName() + " that does not parse", e);
    }
  }

  private static void checkAnyRules(Any any, Validate.AnyRules rules, String where, List<String> out) {
    if (rules.getInCount() > 0 && !rules.getInList().contains(any.getTypeUrl())) {
      out.add(where + ": type_url must be one of " + rules.getInList());
    }
    if (rules.getNotInList().contains(any.getTypeUrl())) {
      out.add(where + ": type_url must not be " + any.getTypeUrl());
    }
  }

  private static void checkDuration(com.google.protobuf.Duration value, Validate.DurationRules rules, String where,
      List<String> out) {
    String shown = Durations.toString(value);
    if (rules.hasConst() && Durations.compare(value, rules.getConst()) != 0) {
      out.add(where + ": " + shown + " must equal " + Durations.toString(rules.getConst()));
    }
    if (rules.hasLt() && Durations.compare(value, rules.getLt()) >= 0) {
      out.add(where + ": " + shown + " must be less than " + Durations.toString(rules.getLt()));
    }
    if (rules.hasLte() && Durations.compare(value, rules.getLte()) > 0) {
      out.add(where + ": " + shown + " must be at most " + Durations.toString(rules.getLte()));
    }
    if (rules.hasGt() && Durations.compare(value, rules.getGt()) <= 0) {
      out.add(where + ": " + shown + " must be greater than " + Durations.toString(rules.getGt()));
    }
    if (rules.hasGte() && Durations.compare(value, rules.getGte()) < 0) {
      out.add(where + ": " + shown + " must be at least " + Durations.toString(rules.getGte()));
    }
    if (rules.getInCount() > 0 && rules.getInList().stream().noneMatch(d -> Durations.compare(d, value) == 0)) {
      out.add(where + ": " + shown + " is not an allowed value");
    }
    if (rules.getNotInList().stream().anyMatch(d -> Durations.compare(d, value) == 0)) {
      out.add(where + ": " + shown + " is not allowed");
    }
  }

  /** Rules on a single scalar value (a field, a repeated item, a map key or value). */
  private static void checkScalar(Object value, FieldDescriptor field, FieldRules rules, String where,
      List<String> out) {
    switch (rules.getTypeCase()) {
      case STRING -> checkString((String) value, rules.getString(), where, out);
      case BYTES -> checkBytes((ByteString) value, rules.getBytes(), where, out);
      case ENUM -> checkEnum((EnumValueDescriptor) value, rules.getEnum(), where, out);
      case BOOL -> {
        if (rules.getBool().hasConst() && rules.getBool().getConst() != (Boolean) value) {
          out.add(where + ": must be " + rules.getBool().getConst());
        }
      }
      case TYPE_NOT_SET, REPEATED, MAP, ANY, DURATION, TIMESTAMP -> { }
      default -> checkNumber(((Number) value).doubleValue(), numericRules(rules), where, out);
    }
  }

  /** The int32/uint64/double/... rules message: all share const, lt, lte, gt, gte, in, not_in. */
  private static Message numericRules(FieldRules rules) {
    FieldDescriptor set = rules.getDescriptorForType().findFieldByName(
        rules.getTypeCase().name().toLowerCase(java.util.Locale.ROOT));
    return (Message) rules.getField(set);
  }

  private static void checkNumber(double value, Message rules, String where, List<String> out) {
    for (Map.Entry<FieldDescriptor, Object> rule : rules.getAllFields().entrySet()) {
      String name = rule.getKey().getName();
      if (rule.getKey().isRepeated()) {
        @SuppressWarnings("unchecked")
        List<Number> values = (List<Number>) rule.getValue();
        boolean listed = values.stream().anyMatch(n -> n.doubleValue() == value);
        if (name.equals("in") && !listed) {
          out.add(where + ": " + shown(value) + " must be one of " + values);
        } else if (name.equals("not_in") && listed) {
          out.add(where + ": " + shown(value) + " is not allowed");
        }
        continue;
      }
      if (!(rule.getValue() instanceof Number limitValue)) {
        continue; // ignore_empty and the like
      }
      double limit = limitValue.doubleValue();
      boolean broken = switch (name) {
        case "const" -> value != limit;
        case "lt" -> value >= limit;
        case "lte" -> value > limit;
        case "gt" -> value <= limit;
        case "gte" -> value < limit;
        default -> false;
      };
      if (broken) {
        out.add(where + ": " + shown(value) + " must be " + name.replace("_", " ") + " " + shown(limit));
      }
    }
  }

  private static void checkString(String value, Validate.StringRules rules, String where, List<String> out) {
    if (rules.getIgnoreEmpty() && value.isEmpty()) {
      return;
    }
    int chars = value.codePointCount(0, value.length());
    int bytes = value.getBytes(StandardCharsets.UTF_8).length;
    if (rules.hasConst() && !value.equals(rules.getConst())) {
      out.add(where + ": must be '" + rules.getConst() + "'");
    }
    if (rules.hasLen() && chars != rules.getLen()) {
      out.add(where + ": must be " + rules.getLen() + " characters long");
    }
    if (rules.hasMinLen() && chars < rules.getMinLen()) {
      out.add(where + ": must be at least " + rules.getMinLen() + " character(s) long");
    }
    if (rules.hasMaxLen() && chars > rules.getMaxLen()) {
      out.add(where + ": must be at most " + rules.getMaxLen() + " characters long");
    }
    if (rules.hasMinBytes() && bytes < rules.getMinBytes()) {
      out.add(where + ": must be at least " + rules.getMinBytes() + " byte(s) long");
    }
    if (rules.hasMaxBytes() && bytes > rules.getMaxBytes()) {
      out.add(where + ": must be at most " + rules.getMaxBytes() + " bytes long");
    }
    if (rules.hasPattern() && !Pattern.compile(rules.getPattern()).matcher(value).find()) {
      out.add(where + ": must match " + rules.getPattern());
    }
    if (rules.hasPrefix() && !value.startsWith(rules.getPrefix())) {
      out.add(where + ": must start with '" + rules.getPrefix() + "'");
    }
    if (rules.hasSuffix() && !value.endsWith(rules.getSuffix())) {
      out.add(where + ": must end with '" + rules.getSuffix() + "'");
    }
    if (rules.hasContains() && !value.contains(rules.getContains())) {
      out.add(where + ": must contain '" + rules.getContains() + "'");
    }
    if (rules.hasNotContains() && value.contains(rules.getNotContains())) {
      out.add(where + ": must not contain '" + rules.getNotContains() + "'");
    }
    if (rules.getInCount() > 0 && !rules.getInList().contains(value)) {
      out.add(where + ": must be one of " + rules.getInList());
    }
    if (rules.getNotInList().contains(value)) {
      out.add(where + ": '" + value + "' is not allowed");
    }
    if (rules.hasWellKnownRegex()) {
      boolean strict = !rules.hasStrict() || rules.getStrict();
      Pattern pattern = switch (rules.getWellKnownRegex()) {
        case HTTP_HEADER_NAME -> strict ? HEADER_NAME : NO_NUL_CR_LF;
        case HTTP_HEADER_VALUE -> strict ? HEADER_VALUE : NO_NUL_CR_LF;
        default -> null;
      };
      if (pattern != null && !pattern.matcher(value).matches()) {
        out.add(where + ": not a valid " + rules.getWellKnownRegex().name().toLowerCase(java.util.Locale.ROOT)
            .replace('_', ' '));
      }
    }
  }

  private static void checkBytes(ByteString value, Validate.BytesRules rules, String where, List<String> out) {
    if (rules.hasMinLen() && value.size() < rules.getMinLen()) {
      out.add(where + ": must be at least " + rules.getMinLen() + " byte(s) long");
    }
    if (rules.hasMaxLen() && value.size() > rules.getMaxLen()) {
      out.add(where + ": must be at most " + rules.getMaxLen() + " bytes long");
    }
    if (rules.hasLen() && value.size() != rules.getLen()) {
      out.add(where + ": must be " + rules.getLen() + " bytes long");
    }
  }

  private static void checkEnum(EnumValueDescriptor value, Validate.EnumRules rules, String where, List<String> out) {
    if (rules.getDefinedOnly() && value.getType().findValueByNumber(value.getNumber()) == null) {
      out.add(where + ": " + value.getNumber() + " is not a defined value");
    }
    if (rules.hasConst() && value.getNumber() != rules.getConst()) {
      out.add(where + ": must be " + rules.getConst());
    }
    if (rules.getInCount() > 0 && !rules.getInList().contains(value.getNumber())) {
      out.add(where + ": " + value.getName() + " is not an allowed value");
    }
    if (rules.getNotInList().contains(value.getNumber())) {
      out.add(where + ": " + value.getName() + " is not allowed");
    }
  }

  private static boolean isWrapper(Descriptor type) {
    return type.getFile().getPackage().equals("google.protobuf") && type.getName().endsWith("Value")
        && type.findFieldByName("value") != null && type.getFields().size() == 1;
  }

  private static String shown(double value) {
    return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
  }

  private static String join(String path, String field) {
    return path.isEmpty() ? field : path + "." + field;
  }
}
