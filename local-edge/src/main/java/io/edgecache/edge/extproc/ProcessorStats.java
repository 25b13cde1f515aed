package io.edgecache.edge.extproc;

import java.util.concurrent.atomic.LongAdder;

/**
 * The ext_proc filter's counters, named as Envoy names them ({@code ExtProcFilterStats}), so a
 * fail-open under local-edge reads the same as under Envoy: {@code failure_mode_allowed}
 * counts streams whose request went on without the processor, {@code message_timeouts} the
 * answers that missed {@code message_timeout}. Shared by all sessions of one edge.
 */
public final class ProcessorStats {
  /** Envoy's namespace for them: {@code http.<HCM stat_prefix>.ext_proc.}; envoy.yaml says "edge". */
  static final String PREFIX = "http.edge.ext_proc.";

  final LongAdder streamsStarted = new LongAdder();
  final LongAdder streamMsgsSent = new LongAdder();
  final LongAdder streamMsgsReceived = new LongAdder();
  final LongAdder spuriousMsgsReceived = new LongAdder();
  final LongAdder streamsClosed = new LongAdder();
  final LongAdder streamsFailed = new LongAdder();
  final LongAdder failureModeAllowed = new LongAdder();
  final LongAdder messageTimeouts = new LongAdder();
  final LongAdder overrideMessageTimeoutReceived = new LongAdder();
  final LongAdder overrideMessageTimeoutIgnored = new LongAdder();

  public long failureModeAllowed() {
    return failureModeAllowed.sum();
  }

  public long messageTimeouts() {
    return messageTimeouts.sum();
  }

  /** Answers the filter did not await; each ended the processor's part in its request. */
  public long spuriousMsgsReceived() {
    return spuriousMsgsReceived.sum();
  }

  /** Streams local-edge closed while open, and streams the processor ended (cleanly, or failing open). */
  public long streamsClosed() {
    return streamsClosed.sum();
  }

  /** Answers that asked for more time: a collapsed request waiting for its leader sends one. */
  public long overrideMessageTimeoutReceived() {
    return overrideMessageTimeoutReceived.sum();
  }

  /** Envoy's {@code /stats} text format: one {@code name: value} line per counter. */
  public String render() {
    StringBuilder text = new StringBuilder();
    line(text, "failure_mode_allowed", failureModeAllowed);
    line(text, "message_timeouts", messageTimeouts);
    line(text, "override_message_timeout_ignored", overrideMessageTimeoutIgnored);
    line(text, "override_message_timeout_received", overrideMessageTimeoutReceived);
    line(text, "spurious_msgs_received", spuriousMsgsReceived);
    line(text, "stream_msgs_received", streamMsgsReceived);
    line(text, "stream_msgs_sent", streamMsgsSent);
    line(text, "streams_closed", streamsClosed);
    line(text, "streams_failed", streamsFailed);
    line(text, "streams_started", streamsStarted);
    return text.toString();
  }

  private static void line(StringBuilder text, String name, LongAdder counter) {
    text.append(PREFIX).append(name).append(": ").append(counter.sum()).append('\n');
  }
}
