package io.edgecache.extproc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.StreamHandler;

/**
 * One structured line per log record on stderr: {@code ts= level= logger= msg=} by default, a
 * JSON object with {@code -Dedgecache.log.format=json}. The level comes from
 * {@code -Dedgecache.log.level} (default INFO), so nothing is logged per hit.
 */
final class LogFormat extends Formatter {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final boolean json;

  private LogFormat(boolean json) {
    this.json = json;
  }

  static void install() {
    LogManager.getLogManager().reset();
    Logger root = Logger.getLogger("");
    Level level = Level.parse(System.getProperty("edgecache.log.level", "INFO"));
    boolean json = "json".equals(System.getProperty("edgecache.log.format"));
    Handler handler = new StreamHandler(System.err, new LogFormat(json)) {
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
    if (json) {
      Map<String, Object> fields = new LinkedHashMap<>();
      fields.put("ts", Instant.ofEpochMilli(record.getMillis()).toString());
      fields.put("level", record.getLevel().getName());
      fields.put("logger", record.getLoggerName());
      fields.put("msg", formatMessage(record));
      if (record.getThrown() != null) {
        fields.put("error", record.getThrown().toString());
      }
      try {
        return JSON.writeValueAsString(fields) + System.lineSeparator();
      } catch (JsonProcessingException e) {
        return "{\"level\":\"SEVERE\",\"msg\":\"unloggable record\"}" + System.lineSeparator();
      }
    }
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
