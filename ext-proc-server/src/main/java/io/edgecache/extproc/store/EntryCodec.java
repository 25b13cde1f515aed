package io.edgecache.extproc.store;

import com.google.protobuf.ByteString;
import io.edgecache.extproc.cache.CachedResponse;
import io.edgecache.extproc.cache.ReuseRules;
import io.edgecache.extproc.fields.HeaderList;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * The one binary form of an entry in every tier below L1, so an entry moves between tiers
 * without re-encoding:
 *
 * <pre>
 *   magic "ECE\0" (4) | version (1) | head length (4) | head | body length (8) | body | CRC32C (4)
 * </pre>
 *
 * The head holds the key, status, times, lifetimes, stale windows, Vary values and headers. The
 * body comes last so a large entry can be written and read as a stream; the checksum covers
 * every byte before it. Decoding checks structure, length and checksum, and reports what is
 * wrong with a {@link CorruptEntryException} rather than returning part of an entry.
 */
public final class EntryCodec {

  static final int MAGIC = 0x45434500;
  static final byte VERSION = 1;

  // Bits of the reuse-rules flags byte.
  private static final int MUST_REVALIDATE = 1;
  private static final int ALWAYS_REVALIDATE = 2;
  private static final int IMMUTABLE = 4;
  /** magic + version + head length: what a reader needs to know where the body starts. */
  public static final int PREAMBLE_BYTES = 4 + 1 + 4;
  /** The CRC32C after the body. */
  public static final int TRAILER_BYTES = 4;
  /** A head larger than this is corruption, not an entry (headers are limited far below). */
  private static final int MAX_HEAD_BYTES = 16 << 20;

  private EntryCodec() {}

  /** Where the parts of an encoded entry lie, known once its head has been read. */
  public record Layout(EntryHead head, long bodyOffset) {
    /** The length of the whole encoded entry, checksum included. */
    public long totalLength() {
      return bodyOffset + head.bodyLength() + TRAILER_BYTES;
    }

    /** This layout, after checking its entry is the one stored under {@code expectedKey}. */
    public Layout requireKey(String expectedKey) throws CorruptEntryException {
      if (!head.key().equals(expectedKey)) {
        throw new CorruptEntryException(
            "entry holds key " + head.key() + ", expected " + expectedKey);
      }
      return this;
    }

    /**
     * This layout, after checking that the {@code what} ("file", "object") holding it is
     * {@code size} bytes, as the head says, and stored under {@code expectedKey}.
     */
    public Layout requireStored(String what, long size, String expectedKey)
        throws CorruptEntryException {
      if (totalLength() != size || !head.key().equals(expectedKey)) {
        throw new CorruptEntryException(what + " is " + size + " bytes, head says "
            + totalLength() + " for key " + head.key());
      }
      return this;
    }
  }

  /** {@code entry} stored under {@code key}, encoded whole. */
  public static byte[] encode(String key, CachedResponse entry) {
    EntryHead head = EntryHead.of(key, entry);
    ByteArrayOutputStream out = new ByteArrayOutputStream(
        (int) Math.min(Integer.MAX_VALUE - 8, head.bodyLength() + 512 + entry.headers().byteSize()));
    try {
      write(out, head, entry.body().newInput());
    } catch (IOException e) {
      throw new UncheckedIOException("encoding into memory cannot fail", e);
    }
    return out.toByteArray();
  }

  /**
   * Writes an entry whose body is read from {@code body}, holding no more than a copy buffer of
   * it. Fails when {@code body} does not hold exactly {@code head.bodyLength()} bytes.
   */
  public static void write(OutputStream out, EntryHead head, InputStream body) throws IOException {
    CRC32C crc = new CRC32C();
    DataOutputStream data = new DataOutputStream(new CheckedOutputStream(out, crc));
    byte[] headBytes = encodeHead(head);
    data.writeInt(MAGIC);
    data.writeByte(VERSION);
    data.writeInt(headBytes.length);
    data.write(headBytes);
    data.writeLong(head.bodyLength());
    long copied = body.transferTo(data);
    if (copied != head.bodyLength()) {
      throw new IOException(
          "body of " + head.key() + " has " + copied + " bytes, head says " + head.bodyLength());
    }
    data.flush();
    new DataOutputStream(out).writeInt((int) crc.getValue());
  }

  /** Decodes a whole entry and checks it is the one stored under {@code expectedKey}. */
  public static CachedResponse decode(byte[] bytes, String expectedKey)
      throws CorruptEntryException {
    Layout layout = readHead(new ByteArrayInputStream(bytes));
    if (layout.totalLength() != bytes.length) {
      throw new CorruptEntryException(
          (bytes.length < layout.totalLength() ? "truncated" : "trailing bytes")
              + ": entry is " + bytes.length + " bytes, its head says " + layout.totalLength());
    }
    int checked = bytes.length - TRAILER_BYTES;
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, checked);
    checkCrc(bytes, checked, crc);
    EntryHead head = layout.requireKey(expectedKey).head();
    ByteString body = ByteString.copyFrom(bytes, (int) layout.bodyOffset(), (int) head.bodyLength());
    return new CachedResponse(head.status(), head.headers(), body, head.responseTime(),
        head.correctedInitialAge(), head.freshnessLifetime(), head.varyValues(), head.rules());
  }

  /**
   * Copies an encoded entry from {@code in} to {@code out} as it streams, holding no more than a
   * copy buffer of it, and verifies it on the way: structure, key, length and checksum. Fails
   * with {@link CorruptEntryException} when any is wrong (what was written is then garbage the
   * caller discards). This is how an entry moves between tiers without being decoded.
   */
  public static Layout copyVerified(InputStream in, OutputStream out, String expectedKey)
      throws IOException {
    CRC32C crc = new CRC32C();
    InputStream copying = new FilterInputStream(new CheckedInputStream(in, crc)) {
      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
          out.write(b);
        }
        return b;
      }

      @Override
      public int read(byte[] buffer, int offset, int length) throws IOException {
        int n = super.read(buffer, offset, length);
        if (n > 0) {
          out.write(buffer, offset, n);
        }
        return n;
      }
    };
    Layout layout = readHead(copying).requireKey(expectedKey);
    byte[] buffer = new byte[1 << 16];
    for (long left = layout.head().bodyLength(); left > 0; ) {
      int n = copying.read(buffer, 0, (int) Math.min(buffer.length, left));
      if (n < 0) {
        throw new CorruptEntryException("truncated in the body");
      }
      left -= n;
    }
    byte[] trailer = in.readNBytes(TRAILER_BYTES);
    if (trailer.length != TRAILER_BYTES) {
      throw new CorruptEntryException("truncated in the checksum");
    }
    checkCrc(trailer, 0, crc);
    if (in.read() >= 0) {
      throw new CorruptEntryException("trailing bytes after the checksum");
    }
    out.write(trailer);
    return layout;
  }

  /** Checks the big-endian CRC32C stored at {@code trailer[offset]} against {@code crc}. */
  private static void checkCrc(byte[] trailer, int offset, CRC32C crc)
      throws CorruptEntryException {
    int stored = ((trailer[offset] & 0xff) << 24) | ((trailer[offset + 1] & 0xff) << 16)
        | ((trailer[offset + 2] & 0xff) << 8) | (trailer[offset + 3] & 0xff);
    if (stored != (int) crc.getValue()) {
      throw new CorruptEntryException("checksum mismatch: stored "
          + Integer.toHexString(stored) + ", computed " + Long.toHexString(crc.getValue()));
    }
  }

  /**
   * Reads the preamble and head, leaving {@code in} at the first body byte. Checks structure
   * only: the checksum can be verified only once the body has been read.
   */
  public static Layout readHead(InputStream in) throws CorruptEntryException {
    try {
      DataInputStream data = new DataInputStream(in);
      int headLength = readPreamble(data);
      byte[] headBytes = data.readNBytes(headLength);
      if (headBytes.length != headLength) {
        throw new CorruptEntryException("truncated in the head");
      }
      long bodyLength = data.readLong();
      if (bodyLength < 0) {
        throw new CorruptEntryException("negative body length " + bodyLength);
      }
      EntryHead head = decodeHead(headBytes, bodyLength);
      return new Layout(head, bodyOffset(headLength));
    } catch (EOFException e) {
      throw new CorruptEntryException("truncated before the body");
    } catch (CorruptEntryException e) {
      throw e;
    } catch (IOException e) {
      throw new CorruptEntryException("unreadable head: " + e.getMessage());
    }
  }

  /**
   * Where the body starts, from the first {@link #PREAMBLE_BYTES} of an entry: lets a reader of
   * a remote entry fetch exactly its head, or learn its body length from the entry's size alone
   * ({@code size - bodyOffset - TRAILER_BYTES}).
   */
  public static long bodyOffset(byte[] preamble) throws CorruptEntryException {
    try {
      return bodyOffset(readPreamble(new DataInputStream(new ByteArrayInputStream(preamble))));
    } catch (CorruptEntryException e) {
      throw e;
    } catch (IOException e) {
      throw new CorruptEntryException("truncated in the preamble");
    }
  }

  /** Checks magic and version; returns the head length. */
  private static int readPreamble(DataInputStream data) throws IOException {
    int magic = data.readInt();
    if (magic != MAGIC) {
      throw new CorruptEntryException("not an entry: magic " + Integer.toHexString(magic));
    }
    byte version = data.readByte();
    if (version != VERSION) {
      throw new CorruptEntryException("unsupported entry version " + version);
    }
    int headLength = data.readInt();
    if (headLength < 0 || headLength > MAX_HEAD_BYTES) {
      throw new CorruptEntryException("head length " + headLength + " out of range");
    }
    return headLength;
  }

  private static long bodyOffset(int headLength) {
    return PREAMBLE_BYTES + headLength + 8L;
  }

  private static byte[] encodeHead(EntryHead head) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256 + head.headers().byteSize());
    DataOutputStream out = new DataOutputStream(bytes);
    writeString(out, head.key());
    out.writeShort(head.status());
    out.writeLong(head.responseTime().getEpochSecond());
    out.writeInt(head.responseTime().getNano());
    out.writeLong(head.correctedInitialAge().toNanos());
    out.writeLong(head.freshnessLifetime().toNanos());
    out.writeLong(head.rules().staleWhileRevalidate().toNanos());
    out.writeLong(head.rules().staleIfError().toNanos());
    out.writeByte((head.rules().mustRevalidate() ? MUST_REVALIDATE : 0)
        | (head.rules().alwaysRevalidate() ? ALWAYS_REVALIDATE : 0)
        | (head.rules().immutable() ? IMMUTABLE : 0));
    out.writeInt(head.varyValues().size());
    for (Map.Entry<String, String> vary : head.varyValues().entrySet()) {
      writeString(out, vary.getKey());
      writeString(out, vary.getValue());
    }
    out.writeInt(head.headers().fields().size());
    for (HeaderList.Field field : head.headers().fields()) {
      writeString(out, field.name());
      writeString(out, field.value());
    }
    return bytes.toByteArray();
  }

  private static EntryHead decodeHead(byte[] headBytes, long bodyLength) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(headBytes));
    String key = readString(in);
    int status = in.readUnsignedShort();
    Instant responseTime = Instant.ofEpochSecond(in.readLong(), in.readInt());
    Duration initialAge = Duration.ofNanos(in.readLong());
    Duration lifetime = Duration.ofNanos(in.readLong());
    Duration staleWhileRevalidate = Duration.ofNanos(in.readLong());
    Duration staleIfError = Duration.ofNanos(in.readLong());
    int flags = in.readUnsignedByte();
    ReuseRules rules = new ReuseRules(staleWhileRevalidate, staleIfError,
        (flags & MUST_REVALIDATE) != 0, (flags & ALWAYS_REVALIDATE) != 0,
        (flags & IMMUTABLE) != 0);
    int varyCount = count(in, "Vary values");
    Map<String, String> vary = new LinkedHashMap<>();
    for (int i = 0; i < varyCount; i++) {
      vary.put(readString(in), readString(in));
    }
    int headerCount = count(in, "headers");
    List<HeaderList.Field> fields = new ArrayList<>(headerCount);
    for (int i = 0; i < headerCount; i++) {
      fields.add(new HeaderList.Field(readString(in), readString(in)));
    }
    if (in.available() != 0) {
      throw new CorruptEntryException("head has " + in.available() + " unread bytes");
    }
    return new EntryHead(key, status, HeaderList.of(fields), responseTime, initialAge, lifetime,
        rules, Map.copyOf(vary), bodyLength);
  }

  private static int count(DataInputStream in, String what) throws IOException {
    int count = in.readInt();
    if (count < 0 || count > in.available()) {
      throw new CorruptEntryException("count of " + what + " " + count + " out of range");
    }
    return count;
  }

  private static void writeString(DataOutputStream out, String value) throws IOException {
    byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
    out.writeInt(utf8.length);
    out.write(utf8);
  }

  private static String readString(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 0 || length > in.available()) {
      throw new CorruptEntryException("string length " + length + " out of range");
    }
    return new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }
}
