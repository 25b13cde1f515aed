package io.edgecache.tests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;

/**
 * Renders kustomizations with {@code kubectl kustomize} (kustomize v4+ for components). Each run
 * is bounded by a minute.
 *
 * <p>A fresh machine has no kubectl, and {@code mvn -B test} must still run there: without it
 * a render skips its test, saying why. .ci/run installs kubectl and sets
 * {@value #REQUIRED}, which turns that skip into a failure, so CI never skips silently.
 */
final class Kustomize {
  /** Environment variable that makes a missing kubectl a failure instead of a skip. */
  static final String REQUIRED = "EDGECACHE_REQUIRE_KUBECTL";

  private static final Pattern KUSTOMIZE_V4_OR_LATER =
      Pattern.compile("Kustomize Version: v([4-9]|[1-9][0-9])");

  /** Why kustomizations cannot be rendered here; empty when they can. Checked once. */
  private static volatile Optional<String> unavailable;

  private Kustomize() {}

  /** The YAML stream {@code kubectl kustomize dir} prints; fails with kustomize's own error. */
  static String render(Path dir) throws IOException, InterruptedException {
    requireKubectl();
    Run run = run(List.of("kubectl", "kustomize", dir.toString()));
    if (run.exitValue() != 0) {
      throw new AssertionError("kubectl kustomize " + dir + " failed: " + run.stderr().strip());
    }
    return run.stdout();
  }

  /**
   * Renders {@code overlay} with {@code components} added, as a user enabling them would: a
   * kustomization in {@code scratch} (relative paths: kustomize refuses absolute ones).
   */
  static String renderWithComponents(Path scratch, Path overlay, List<Path> components)
      throws IOException, InterruptedException {
    Files.createDirectories(scratch);
    String componentList = components.stream()
        .map(c -> "  - " + scratch.relativize(c.toAbsolutePath().normalize()))
        .collect(Collectors.joining("\n"));
    Files.writeString(scratch.resolve("kustomization.yaml"), """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources:
          - %s
        components:
        %s
        """.formatted(scratch.relativize(overlay.toAbsolutePath().normalize()), componentList));
    return render(scratch);
  }

  /** Skips the calling test when kubectl cannot render here, or fails it under {@value #REQUIRED}. */
  private static void requireKubectl() throws IOException, InterruptedException {
    Optional<String> missing = unavailable;
    if (missing == null) {
      missing = kubectlProblem();
      unavailable = missing;
    }
    if (missing.isPresent()) {
      String why = missing.get() + "; k8s/ and istio/ are rendered with it (.ci/run installs it)";
      if (System.getenv(REQUIRED) != null) {
        throw new AssertionError(why + ", and " + REQUIRED + " is set");
      }
      Assumptions.abort("skipped: " + why);
    }
  }

  /** What keeps {@code kubectl kustomize} from rendering components here, if anything. */
  private static Optional<String> kubectlProblem() throws IOException, InterruptedException {
    Run version;
    try {
      version = run(List.of("kubectl", "version", "--client"));
    } catch (IOException e) {
      return Optional.of("kubectl is not on PATH");
    }
    if (!KUSTOMIZE_V4_OR_LATER.matcher(version.stdout()).find()) {
      return Optional.of("kubectl's kustomize is older than v4 (components need v4+): "
          + version.stdout().strip().replace('\n', ' '));
    }
    return Optional.empty();
  }

  /** What a finished command printed. */
  private record Run(int exitValue, String stdout, String stderr) {}

  /** Runs {@code command} to its end, within a minute. */
  private static Run run(List<String> command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).start();
    CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(process, false));
    CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(process, true));
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish within 60 s");
    }
    return new Run(process.exitValue(), new String(out.join(), StandardCharsets.UTF_8),
        new String(err.join(), StandardCharsets.UTF_8));
  }

  private static byte[] readAll(Process process, boolean stderr) {
    try {
      return (stderr ? process.getErrorStream() : process.getInputStream()).readAllBytes();
    } catch (IOException e) {
      return ("(unreadable: " + e + ")").getBytes(StandardCharsets.UTF_8);
    }
  }
}
