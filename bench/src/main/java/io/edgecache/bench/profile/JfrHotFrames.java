package io.edgecache.bench.profile;

import io.edgecache.bench.Flags;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summarises a JFR recording's CPU samples ({@code jdk.ExecutionSample}) of the threads whose
 * name starts with {@code --threads}: the share of samples by the layer the sampled frame
 * belongs to, the hottest methods (self), and the hottest edgecache methods including what
 * they call. Prints markdown.
 */
public final class JfrHotFrames {

  private static final String USAGE = "--jfr FILE [--threads grpc-default-worker] [--top 15]";

  /** Package prefix to layer, first match wins. */
  private static final List<String[]> LAYERS = List.of(
      new String[] {"io.edgecache.", "edgecache"},
      new String[] {"com.github.benmanes.caffeine.", "Caffeine (L1)"},
      new String[] {"com.google.protobuf.", "protobuf"},
      new String[] {"io.envoyproxy.", "protobuf (generated ext_proc messages)"},
      new String[] {"io.grpc.netty.shaded.io.netty.", "Netty (HTTP/2, epoll)"},
      new String[] {"io.grpc.", "gRPC"},
      new String[] {"java.", "JDK"},
      new String[] {"jdk.", "JDK"},
      new String[] {"sun.", "JDK"});

  private JfrHotFrames() {}

  public static void main(String[] args) throws IOException {
    Flags flags = Flags.parse(args, USAGE);
    Path jfr = Path.of(flags.string("jfr", ""));
    String threads = flags.string("threads", "grpc-default-worker");
    int top = flags.integer("top", 15);
    flags.rejectUnknown();

    Map<String, Integer> byLayer = new HashMap<>();
    Map<String, Integer> self = new HashMap<>();
    Map<String, Integer> inclusiveEdgecache = new HashMap<>();
    int samples = 0;
    for (RecordedEvent event : RecordingFile.readAllEvents(jfr)) {
      if (!event.getEventType().getName().equals("jdk.ExecutionSample")
          || event.getThread("sampledThread") == null
          || !String.valueOf(event.getThread("sampledThread").getJavaName()).startsWith(threads)) {
        continue;
      }
      RecordedStackTrace stack = event.getStackTrace();
      if (stack == null || stack.getFrames().isEmpty()) {
        continue;
      }
      samples++;
      String topMethod = method(stack.getFrames().get(0));
      self.merge(topMethod, 1, Integer::sum);
      byLayer.merge(layer(topMethod), 1, Integer::sum);
      Set<String> seen = new HashSet<>();
      for (RecordedFrame frame : stack.getFrames()) {
        String method = method(frame);
        if (method.startsWith("io.edgecache.") && seen.add(method)) {
          inclusiveEdgecache.merge(method, 1, Integer::sum);
        }
      }
    }
    System.out.printf("%d CPU samples of threads named %s*.%n%n", samples, threads);
    print("where the sampled frame is (self time by layer)", byLayer, samples, top);
    print("hottest methods (self)", self, samples, top);
    print("edgecache methods including their callees", inclusiveEdgecache, samples, top);
  }

  private static void print(String title, Map<String, Integer> counts, int samples, int top) {
    System.out.println("| " + title + " | share of samples |");
    System.out.println("|---|---:|");
    counts.entrySet().stream()
        .sorted(Map.Entry.<String, Integer>comparingByValue(Comparator.reverseOrder()))
        .limit(top)
        .forEach(e -> System.out.printf(Locale.ROOT, "| `%s` | %.1f %% |%n", e.getKey(),
            100.0 * e.getValue() / samples));
    System.out.println();
  }

  private static String method(RecordedFrame frame) {
    return frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
  }

  private static String layer(String method) {
    for (String[] layer : LAYERS) {
      if (method.startsWith(layer[0])) {
        return layer[1];
      }
    }
    return "other";
  }
}
