package io.edgecache.extproc.fields;

import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Predicate;

/**
 * An ordered list of HTTP header fields with lower-case names, as Envoy hands them to an
 * external processor. Repeated field lines stay separate so they can be stored and replayed
 * exactly.
 *
 * <p>Values are kept as ISO-8859-1 strings: each octet maps to one char, so whatever bytes the
 * origin sent survive the trip through the cache unchanged.
 */
public final class HeaderList {

  /** One header field line. */
  public record Field(String name, String value) {}

  /**
   * The lines, read by index: lookups by name run several times per request over a handful of
   * lines, and a loop over an array allocates no iterator.
   */
  private final Field[] fields;
  private final List<Field> view;

  private HeaderList(Field[] fields) {
    this.fields = fields;
    this.view = Collections.unmodifiableList(Arrays.asList(fields));
  }

  public static HeaderList of(List<Field> fields) {
    return new HeaderList(List.copyOf(fields).toArray(new Field[0])); // copyOf refuses nulls
  }

  /**
   * Reads an Envoy header map. Newer Envoys put the value in {@code raw_value} and leave
   * {@code value} empty; older ones do the opposite, so both are read.
   */
  public static HeaderList fromEnvoy(HeaderMap map) {
    Field[] fields = new Field[map.getHeadersCount()];
    for (int i = 0; i < fields.length; i++) {
      HeaderValue header = map.getHeaders(i);
      String value =
          header.getRawValue().isEmpty()
              ? header.getValue()
              : header.getRawValue().toString(StandardCharsets.ISO_8859_1);
      fields[i] = new Field(header.getKey().toLowerCase(Locale.ROOT), value);
    }
    return new HeaderList(fields);
  }

  public List<Field> fields() {
    return view;
  }

  /** The first value of {@code name}, or null when absent. */
  public String first(String name) {
    for (Field field : fields) {
      if (field.name.equals(name)) {
        return field.value;
      }
    }
    return null;
  }

  public boolean contains(String name) {
    return first(name) != null;
  }

  /** Whether any of {@code names} is present. */
  public boolean containsAny(Set<String> names) {
    for (Field field : fields) {
      if (names.contains(field.name)) {
        return true;
      }
    }
    return false;
  }

  /** Every value of {@code name}, in order. */
  public List<String> all(String name) {
    List<String> values = new ArrayList<>(1);
    for (Field field : fields) {
      if (field.name.equals(name)) {
        values.add(field.value);
      }
    }
    return values;
  }

  /**
   * All values of {@code name} joined as one comma-separated list, which is how HTTP defines
   * the meaning of repeated list-based fields (RFC 9110 §5.3); null when absent.
   */
  public String joined(String name) {
    String joined = null;
    StringBuilder more = null;
    for (Field field : fields) {
      if (field.name.equals(name)) {
        if (joined == null) {
          joined = field.value; // one field line, the usual case: no copy
        } else {
          more = (more == null ? new StringBuilder(joined) : more).append(", ").append(field.value);
        }
      }
    }
    return more == null ? joined : more.toString();
  }

  /** A copy without the fields {@code drop} matches. */
  public HeaderList without(Predicate<Field> drop) {
    List<Field> kept = new ArrayList<>(fields.length);
    for (Field field : fields) {
      if (!drop.test(field)) {
        kept.add(field);
      }
    }
    return new HeaderList(kept.toArray(new Field[0]));
  }

  /** Approximate bytes these fields occupy, for cache weighing. */
  public int byteSize() {
    int size = 0;
    for (Field field : fields) {
      size += field.name.length() + field.value.length() + 4;
    }
    return size;
  }
}
