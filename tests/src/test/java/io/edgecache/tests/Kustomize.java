package io.edgecache.tests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Renders kustomizations with {@code kubectl kustomize} (kustomize v4+ for components; .ci/run
 * installs kubectl). Each run is bounded by a minute.
 */
final class Kustomize {
  private Kustomize() {}

  /** The YAML stream {@code kubectl kustomize dir} prints; fails with kustomize's own error. */
  static String render(Path dir) throws IOException, InterruptedException {
    Process process;
    try {
      process = new ProcessBuilder("kubectl", "kustomize", dir.toString()).start();
    } catch (IOException e) {
      throw new AssertionError("kubectl is not on PATH (.ci/run installs it): " + e.getMessage(), e);
    }
    CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(process, false));
    CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(process, true));
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("kubectl kustomize " + dir + " did not finish within 60 s");
    }
    String stderr = new String(err.join(), StandardCharsets.UTF_8);
    if (process.exitValue() != 0) {
      throw new AssertionError("kubectl kustomize " + dir + " failed: " + stderr.strip());
    }
    return new String(out.join(), StandardCharsets.UTF_8);
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

  private static byte[] readAll(Process process, boolean stderr) {
    try {
      return (stderr ? process.getErrorStream() : process.getInputStream()).readAllBytes();
    } catch (IOException e) {
      return ("(unreadable: " + e + ")").getBytes(StandardCharsets.UTF_8);
    }
  }
}
