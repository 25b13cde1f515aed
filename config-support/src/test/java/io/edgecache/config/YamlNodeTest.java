package io.edgecache.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Unknown fields, wrong types and bad values are all reported as file:line: field: problem. */
class YamlNodeTest {
  @TempDir Path dir;

  @Test
  void readsTypedValues() throws Exception {
    YamlNode.Fields root = read("""
        wait: 0.5s
        size: 1GiB
        peers: ["[::1]:8080", "envoy:10000"]
        header: X-Purge-Key
        empty:
        """).mapping(Set.of("wait", "size", "peers", "header", "empty"));
    assertEquals(Duration.ofMillis(500), root.required("wait").positiveDuration());
    assertEquals(1L << 30, root.required("size").bytes());
    assertEquals(new HostPort("::1", 8080), root.list("peers").get(0).hostPort());
    assertEquals("x-purge-key", root.required("header").headerName());
    assertNull(root.optional("empty"));
    assertNull(root.optional("absent"));
  }

  @Test
  void problemsNameFileLineAndField() throws Exception {
    Path file = dir.resolve("app.yaml");
    YamlNode.Fields root = read("""
        tiers:
          l1:
            maxBytes: 8 parsecs
            wait: soon
            missing:
        routes:
          - pathPrefix: /
          - pathPrefix: [a, b]
        """).mapping(Set.of("tiers", "routes"));
    YamlNode.Fields l1 = root.required("tiers").mapping(Set.of("l1")).required("l1")
        .mapping(Set.of("maxBytes", "wait", "missing"));
    assertEquals(file + ":3: tiers.l1.maxBytes: '8 parsecs' is not a byte size"
            + " (examples: 1048576, 64KiB, 512MiB, 1GiB)",
        assertThrows(ConfigException.class, () -> l1.required("maxBytes").bytes()).getMessage());
    assertEquals(file + ":4: tiers.l1.wait: expected a positive duration like 500ms, 0.5s, 15s,"
            + " 5m, 1h or 1d, got 'soon'",
        assertThrows(ConfigException.class, () -> l1.required("wait").positiveDuration()).getMessage());
    assertEquals(file + ":5: tiers.l1.missing: required",
        assertThrows(ConfigException.class, () -> l1.required("missing")).getMessage());
    assertEquals(file + ":3: tiers.l1.absent: required", // an absent field is named at its mapping
        assertThrows(ConfigException.class, () -> l1.required("absent")).getMessage());
    List<YamlNode> routes = root.list("routes");
    ConfigException wrongType = assertThrows(ConfigException.class,
        () -> routes.get(1).mapping(Set.of("pathPrefix")).required("pathPrefix").string());
    assertEquals(file + ":8: routes[1].pathPrefix: expected a single value", wrongType.getMessage());
    assertEquals(file.toString(), wrongType.file().orElseThrow());
    assertEquals(8, wrongType.line());
    assertEquals("routes[1].pathPrefix", wrongType.field().orElseThrow());
  }

  @Test
  void unknownAndDuplicateFieldsAreNamedAtTheirKey() throws Exception {
    Path file = dir.resolve("app.yaml");
    YamlNode root = read("""
        tiers:
          disk:
            enable:
              - true
        """);
    ConfigException unknown = assertThrows(ConfigException.class,
        () -> root.mapping(Set.of("tiers")).required("tiers").mapping(Set.of("disk"))
            .required("disk").mapping(Set.of("enabled", "path")));
    assertEquals(file + ":3: tiers.disk.enable: unknown field 'tiers.disk.enable'"
        + " (known fields: enabled, path)", unknown.getMessage());
    ConfigException duplicate = assertThrows(ConfigException.class,
        () -> read("a: 1\nb: 2\na: 3\n").mapping(Set.of("a", "b")));
    assertEquals(file + ":3: a: duplicate field", duplicate.getMessage());
  }

  @Test
  void syntaxErrorsAndEmptyFiles() throws Exception {
    Path file = dir.resolve("app.yaml");
    ConfigException syntax = assertThrows(ConfigException.class, () -> read("a: 1\n  b: [\n"));
    assertEquals(file.toString(), syntax.file().orElseThrow());
    assertNull(read("# nothing here\n"));
  }

  private YamlNode read(String yaml) throws Exception {
    Path file = dir.resolve("app.yaml");
    Files.writeString(file, yaml);
    return YamlNode.read(file);
  }
}
