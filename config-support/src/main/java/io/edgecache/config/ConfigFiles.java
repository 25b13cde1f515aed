package io.edgecache.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Stream;

/**
 * What a {@code --config} path stands for: one YAML file, or every {@code *.yaml} / {@code *.yml}
 * file of a directory in file-name order (a Kubernetes ConfigMap mounted as a directory, where an
 * optional component adds a file beside the overlay's; the kubelet's symlinks are followed).
 */
public final class ConfigFiles {

  private ConfigFiles() {}

  /** The files {@code source} stands for, in a stable order. */
  public static List<Path> of(Path source) throws ConfigException {
    if (!Files.isDirectory(source)) {
      if (!Files.isRegularFile(source)) {
        throw new ConfigException(source + ": no such file or directory");
      }
      return List.of(source);
    }
    try (Stream<Path> entries = Files.list(source)) {
      List<Path> files = entries
          .filter(p -> p.getFileName().toString().matches(".*\\.ya?ml") && Files.isRegularFile(p))
          .sorted()
          .toList();
      if (files.isEmpty()) {
        throw new ConfigException(source + ": directory holds no *.yaml file");
      }
      return files;
    } catch (IOException e) {
      throw new ConfigException(source + ": cannot list: " + e.getMessage(), e);
    }
  }

  /**
   * The top-level mapping of every file {@code source} stands for, in that order, each with its
   * keys in {@code allowed}; a file holding no document is left out.
   */
  public static List<YamlNode.Fields> topLevel(Path source, Collection<String> allowed)
      throws ConfigException {
    List<YamlNode.Fields> documents = new ArrayList<>();
    for (Path file : of(source)) {
      YamlNode root = YamlNode.read(file);
      if (root != null) {
        documents.add(root.mapping(allowed));
      }
    }
    return documents;
  }
}
