package io.edgecache.controlplane.purge;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.edgecache.proto.purge.v1.PurgeStatus;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * The purge log in a local file: one JSON line per purge ({@link PurgeStatus} without its node lists),
 * appended and fsync'd before the purge is sent to any node or acknowledged to its submitter,
 * so a control-plane crash loses no accepted purge. Reloaded at start.
 *
 * <p>Entries older than the retention are dropped when the log is reopened or appended to (the
 * file is rewritten and atomically replaced), except the newest, so sequence numbers keep
 * counting up. A node that last applied a purge before the oldest retained one cannot replay.
 * Not thread safe: the coordinator serialises calls. One replica's: a second control plane
 * cannot share it.
 */
final class FilePurgeLog extends RetainedPurgeLog {

  private final Path path;
  private FileChannel channel;

  private FilePurgeLog(Path path, Duration retention, Clock clock) {
    super(retention, clock);
    this.path = path;
  }

  /** Opens (creating if needed) the log at {@code path}; a corrupt line fails with its number. */
  static FilePurgeLog open(Path path, Duration retention, Clock clock) throws IOException {
    FilePurgeLog log = new FilePurgeLog(path, retention, clock);
    Files.createDirectories(path.toAbsolutePath().getParent());
    if (Files.exists(path)) {
      List<String> lines = Files.readAllLines(path, StandardCharsets.UTF_8);
      for (int i = 0; i < lines.size(); i++) {
        if (lines.get(i).isBlank()) {
          continue;
        }
        PurgeStatus.Builder entry = PurgeStatus.newBuilder();
        try {
          JsonFormat.parser().merge(lines.get(i), entry);
        } catch (InvalidProtocolBufferException e) {
          if (i == lines.size() - 1) {
            break; // a torn last line: the append never completed, so it was never acknowledged
          }
          throw new IOException(path + ":" + (i + 1) + ": unreadable purge log entry: " + e.getMessage(), e);
        }
        log.entries.add(entry.build());
      }
    }
    log.compact(true);
    return log;
  }

  /** Appends and fsyncs {@code entry}; when this returns, the purge survives a crash. */
  @Override
  public void append(PurgeStatus entry) throws IOException {
    byte[] line = (PRINTER.print(entry) + "\n").getBytes(StandardCharsets.UTF_8);
    ByteBuffer buffer = ByteBuffer.wrap(line);
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
    channel.force(false);
    entries.add(entry);
    compact(false);
  }

  /** Drops expired entries (keeping the newest); rewrites the file when any went or on open. */
  private void compact(boolean opening) throws IOException {
    if (dropExpired() == 0 && !opening) {
      return;
    }
    if (channel != null) {
      channel.close();
    }
    Path temporary = path.resolveSibling(path.getFileName() + ".tmp");
    try (FileChannel out = FileChannel.open(temporary, StandardOpenOption.CREATE,
        StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      StringBuilder text = new StringBuilder();
      for (PurgeStatus entry : entries) {
        text.append(PRINTER.print(entry)).append('\n');
      }
      out.write(ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8)));
      out.force(true);
    }
    Files.move(temporary, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    channel = FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
  }

  @Override
  public void close() throws IOException {
    if (channel != null) {
      channel.close();
    }
  }
}
