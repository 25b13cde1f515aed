package io.edgecache.extproc.cache;

import com.google.protobuf.BoolValue;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import io.edgecache.extproc.fields.HeaderList;
import io.edgecache.http.HeaderValidity;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Header fields in the form a hit sends them: the {@code set_headers} lines of an Envoy
 * {@code HeaderMutation} (key, value in {@code raw_value}, explicit {@code append}), serialized.
 * An entry keeps its fields only in this form, built once when it is stored, so a hit copies
 * the bytes instead of building one protobuf object per field; the few readers that need a
 * field by name scan the bytes.
 *
 * <p>Lossless: a value with a character beyond ISO-8859-1 (only code can make one; Envoy's
 * values are octets) is kept in {@code value} instead, and such an entry is never sent as
 * stored.
 */
public final class WireHeaders {

  /** Wire tags of HeaderMutation.set_headers, HeaderValueOption.header and .append (LEN). */
  private static final int LINE_TAG = 0x0A;
  private static final int HEADER_TAG = 0x0A;
  /** Wire tags of HeaderValue.key, .value and .raw_value (LEN). */
  private static final int KEY_TAG = 0x0A;
  private static final int VALUE_TAG = 0x12;
  private static final int RAW_VALUE_TAG = 0x1A;

  /**
   * Fields a hit sets itself (Age, Cache-Status with this cache's member) or Envoy's local
   * reply refuses or sets itself; an entry holding one is answered through the checked path.
   */
  private static final Set<String> SET_PER_HIT =
      Set.of("age", "cache-status", "content-length", "host");

  /** Far under Envoy's limits (100 lines, 60 KiB), leaving room for the per-hit lines. */
  private static final int MAX_LINES_AS_STORED = 64;
  private static final int MAX_BYTES_AS_STORED = 32 * 1024;

  private WireHeaders() {}

  /** One line with explicit {@code append} and the value in {@code raw_value} only. */
  public static HeaderValueOption line(String name, String value, boolean append) {
    return HeaderValueOption.newBuilder()
        .setHeader(HeaderValue.newBuilder()
            .setKey(name)
            .setRawValue(ByteString.copyFrom(value, StandardCharsets.ISO_8859_1)))
        .setAppend(BoolValue.of(append))
        .build();
  }

  /**
   * The serialized {@code HeaderMutation} of these two lines, neither appending: written
   * straight into one array, since a hit sends them each time.
   */
  public static ByteString twoLines(String name, String value, String otherName,
      String otherValue) {
    byte[] out = new byte[optionSize(name, value, false) + optionSize(otherName, otherValue, false)];
    CodedOutputStream stream = CodedOutputStream.newInstance(out);
    try {
      writeOption(stream, name, value, false);
      writeOption(stream, otherName, otherValue, false);
      stream.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // an array of the computed size cannot overflow
    }
    return UnsafeByteOperations.unsafeWrap(out);
  }

  /**
   * Whether a local reply sends {@code fields} exactly as {@link #encodedSize}/{@link #encode}
   * write them, plus Age and Cache-Status lines: every line valid, none Envoy ignores or sets
   * itself, none the hit rewrites, all within Envoy's limits. Stricter than the checks a
   * mutation gets line by line, so whatever passes here would pass those unchanged.
   */
  static boolean sentAsStored(HeaderList fields) {
    if (fields.fields().size() > MAX_LINES_AS_STORED) {
      return false;
    }
    int bytes = 0;
    for (HeaderList.Field field : fields.fields()) {
      String name = field.name();
      // Lower case too: a checked line's append flag compares names case-insensitively.
      if (!HeaderValidity.nameIsValid(name) || !name.equals(name.toLowerCase(Locale.ROOT))
          || name.startsWith(":") || name.startsWith("x-envoy")
          || SET_PER_HIT.contains(name) || !HeaderValidity.valueIsValid(field.value())) {
        return false;
      }
      bytes += name.length() + field.value().length();
    }
    return bytes <= MAX_BYTES_AS_STORED;
  }

  /** Bytes {@link #encode} writes for {@code fields}. */
  static int encodedSize(HeaderList fields) {
    int size = 0;
    Set<String> seen = new HashSet<>();
    for (HeaderList.Field field : fields.fields()) {
      size += optionSize(field.name(), field.value(), !seen.add(field.name()));
    }
    return size;
  }

  /**
   * Writes {@code fields} into {@code out} from offset 0 as set_headers lines; a repeated name
   * appends, the first line of a name overwrites, as the origin's repeated lines are replayed.
   */
  static void encode(HeaderList fields, byte[] out) {
    CodedOutputStream stream = CodedOutputStream.newInstance(out);
    Set<String> seen = new HashSet<>();
    try {
      for (HeaderList.Field field : fields.fields()) {
        writeOption(stream, field.name(), field.value(), !seen.add(field.name()));
      }
      stream.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // an array of the computed size cannot overflow
    }
  }

  /** The fields {@code bytes[0, length)} hold, in order. */
  static HeaderList decode(byte[] bytes, int length) {
    HeaderMutation lines;
    try {
      lines = HeaderMutation.parseFrom(ByteString.copyFrom(bytes, 0, length));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("stored header lines do not parse", e);
    }
    List<HeaderList.Field> fields = new ArrayList<>(lines.getSetHeadersCount());
    for (HeaderValueOption line : lines.getSetHeadersList()) {
      HeaderValue header = line.getHeader();
      String value = header.getRawValue().isEmpty()
          ? header.getValue()
          : header.getRawValue().toString(StandardCharsets.ISO_8859_1);
      fields.add(new HeaderList.Field(header.getKey(), value));
    }
    return HeaderList.of(fields);
  }

  /**
   * All values of {@code name} in {@code bytes[0, length)} joined with ", " as
   * {@link HeaderList#joined} does; null when absent. Reads the bytes in place.
   */
  static String joined(byte[] bytes, int length, String name) {
    String joined = null;
    Cursor lines = new Cursor(bytes, 0, length);
    while (lines.hasMore()) {
      int lineEnd = lines.enter(LINE_TAG);
      if (lineEnd < 0) {
        continue;
      }
      Cursor line = new Cursor(bytes, lines.position, lineEnd);
      lines.position = lineEnd;
      while (line.hasMore()) {
        int headerEnd = line.enter(HEADER_TAG);
        if (headerEnd < 0) {
          continue;
        }
        String value = valueIfNamed(new Cursor(bytes, line.position, headerEnd), name);
        line.position = headerEnd;
        if (value != null) {
          joined = joined == null ? value : joined + ", " + value;
        }
      }
    }
    return joined;
  }

  /** The value of the HeaderValue {@code header} reads, when its key is {@code name}. */
  private static String valueIfNamed(Cursor header, String name) {
    boolean named = false;
    String value = "";
    String raw = "";
    while (header.hasMore()) {
      int tag = header.varint();
      int length = header.varint();
      int start = header.position;
      header.position += length;
      if (tag == KEY_TAG) {
        named = header.equalsAscii(start, length, name);
        if (!named) {
          return null;
        }
      } else if (tag == VALUE_TAG) {
        value = new String(header.bytes, start, length, StandardCharsets.UTF_8);
      } else if (tag == RAW_VALUE_TAG) {
        raw = new String(header.bytes, start, length, StandardCharsets.ISO_8859_1);
      }
    }
    return !named ? null : raw.isEmpty() ? value : raw;
  }

  /** Bytes of one set_headers occurrence: its tag, its length and the line. */
  private static int optionSize(String name, String value, boolean append) {
    int line = lineSize(name, value, append);
    return 1 + CodedOutputStream.computeUInt32SizeNoTag(line) + line;
  }

  private static void writeOption(CodedOutputStream out, String name, String value,
      boolean append) throws IOException {
    out.writeTag(1, 2);
    out.writeUInt32NoTag(lineSize(name, value, append));
    writeLine(out, name, value, append);
  }

  private static int lineSize(String name, String value, boolean append) {
    int header = headerSize(name, value);
    return 1 + CodedOutputStream.computeUInt32SizeNoTag(header) + header
        + 2 + (append ? 2 : 0);
  }

  private static int headerSize(String name, String value) {
    int size = CodedOutputStream.computeStringSize(1, name);
    if (value.isEmpty()) {
      return size;
    }
    // An octet string's ISO-8859-1 bytes are as many as its chars.
    return size + (isOctets(value)
        ? 1 + CodedOutputStream.computeUInt32SizeNoTag(value.length()) + value.length()
        : CodedOutputStream.computeStringSize(2, value));
  }

  private static void writeLine(CodedOutputStream out, String name, String value,
      boolean append) throws IOException {
    out.writeTag(1, 2);
    out.writeUInt32NoTag(headerSize(name, value));
    out.writeString(1, name);
    if (!value.isEmpty()) {
      if (isOctets(value)) {
        out.writeByteArray(3, value.getBytes(StandardCharsets.ISO_8859_1));
      } else {
        out.writeString(2, value);
      }
    }
    out.writeTag(2, 2);
    out.writeUInt32NoTag(append ? 2 : 0);
    if (append) {
      out.writeBool(1, true);
    }
  }

  private static boolean isOctets(String value) {
    for (int i = 0; i < value.length(); i++) {
      if (value.charAt(i) > 0xFF) {
        return false;
      }
    }
    return true;
  }

  /** A read position in a run of protobuf fields. */
  private static final class Cursor {
    final byte[] bytes;
    int position;
    final int end;

    Cursor(byte[] bytes, int position, int end) {
      this.bytes = bytes;
      this.position = position;
      this.end = end;
    }

    boolean hasMore() {
      return position < end;
    }

    /**
     * Reads the next field (every field these lines hold is length-delimited): when it is
     * {@code tag}, returns where its contents end, leaving the position at their start;
     * otherwise skips it and returns -1.
     */
    int enter(int tag) {
      int read = varint();
      int length = varint();
      if (read != tag) {
        position += length;
        return -1;
      }
      return position + length;
    }

    int varint() {
      int value = 0;
      for (int shift = 0; ; shift += 7) {
        byte b = bytes[position++];
        value |= (b & 0x7F) << shift;
        if (b >= 0) {
          return value;
        }
      }
    }

    boolean equalsAscii(int start, int length, String name) {
      if (length != name.length()) {
        return false;
      }
      for (int i = 0; i < length; i++) {
        if (bytes[start + i] != name.charAt(i)) {
          return false;
        }
      }
      return true;
    }
  }
}
