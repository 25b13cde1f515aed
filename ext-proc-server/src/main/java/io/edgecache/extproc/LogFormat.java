package io.edgecache.extproc;

import java.time.Instant;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.StreamHandler;

/**
 * One structured line per log record ({@code ts= level= logger= msg=}), on stderr. The level
 * comes from {@code -Dedgecache.log.level} (default INFO), so nothing is logged per hit.
 */
final class LogFormat extends Formatter {

  private LogFormat() {}

  static void install() {
    LogManager.getLogManager().reset();
    Logger root = Logger.getLogger("");
    Level level = Level.parse(System.getProperty("edgecache.log.level", "INFO"));
    Handler handler = new StreamHandler(System.err, new LogFormat()) {
      @Override
      public synchronized void publish(LogRecord record) {
        super.publish(record);
        flush();
      }
    };
    handler.setLevel(level);
    root.setLevel(level);
    root.addHandler(handler);
  }

  @Override
  public String format(LogRecord record) {
    StringBuilder line = new StringBuilder(160)
        .append("ts=").append(Instant.ofEpochMilli(record.getMillis()))
        .append(" level=").append(record.getLevel().getName())
        .append(" logger=").append(record.getLoggerName())
        .append(" msg=\"").append(formatMessage(record).replace("\"", "\\\"")).append('"');
    if (record.getThrown() != null) {
      line.append(" error=\"").append(record.getThrown()).append('"');
    }
    return line.append(System.lineSeparator()).toString();
  }
}
