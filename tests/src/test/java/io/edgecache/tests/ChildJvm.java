package io.edgecache.tests;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server main class run in its own JVM with this test's classpath, so its heap can be capped
 * independently of the test's. Ready when it prints the line {@code ready} matches.
 */
final class ChildJvm implements AutoCloseable {

  private final Process process;
  private final StringBuilder output = new StringBuilder();
  private final CompletableFuture<Matcher> readyLine = new CompletableFuture<>();

  private ChildJvm(Process process, Pattern ready) {
    this.process = process;
    Thread reader = new Thread(() -> readOutput(ready), "child-output");
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code mainClass} with {@code jvmFlags}; waits until it prints its ready line. */
  static ChildJvm start(String mainClass, List<String> jvmFlags, Pattern ready, String... args)
      throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmFlags);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass);
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    ChildJvm child = new ChildJvm(process, ready);
    try {
      child.readyLine.get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      child.close();
      throw new AssertionError(mainClass + " did not become ready: " + child.output(), e);
    }
    return child;
  }

  /** Group 1 of the ready line: the port the child listens on. */
  int port() {
    return Integer.parseInt(readyLine.join().group(1));
  }

  boolean isAlive() {
    return process.isAlive();
  }

  synchronized String output() {
    return output.toString();
  }

  private void readOutput(Pattern ready) {
    try (BufferedReader lines = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = lines.readLine()) != null; ) {
        synchronized (this) {
          output.append(line).append('\n');
        }
        Matcher matcher = ready.matcher(line);
        if (!readyLine.isDone() && matcher.find()) {
          readyLine.complete(matcher);
        }
      }
    } catch (IOException e) {
      // the process ended; close() reports its output
    }
    readyLine.completeExceptionally(new IllegalStateException("exited: " + output()));
  }

  /** Kills the process at once (SIGKILL): no shutdown hook runs, as in a crash. */
  void kill() throws InterruptedException {
    if (!process.destroyForcibly().waitFor(10, TimeUnit.SECONDS)) {
      throw new AssertionError("the child JVM survived SIGKILL for 10 s");
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
