package io.edgecache.controlplane.config;

import com.google.re2j.PatternSyntaxException;
import io.edgecache.config.ConfigException;
import io.edgecache.config.YamlNode;
import io.edgecache.controlplane.config.EdgecacheConfig.HeaderMatch;
import io.edgecache.controlplane.config.EdgecacheConfig.HeaderMatchKind;
import io.edgecache.controlplane.config.EdgecacheConfig.RouteMatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** Reads a route's {@code match}: one path matcher and any header matchers. */
final class RouteMatchReader {
  private static final Set<String> FIELDS = Set.of("prefix", "path", "regex", "headers");
  private static final Set<String> HEADER = Set.of("name", "exact", "prefix", "regex", "present");

  private RouteMatchReader() {}

  static RouteMatch read(YamlNode node) throws ConfigException {
    YamlNode.Fields f = node.mapping(FIELDS);
    Optional<String> prefix = optionalPath(f.optional("prefix"));
    Optional<String> path = optionalPath(f.optional("path"));
    Optional<String> regex = f.optional("regex") == null ? Optional.empty() : Optional.of(regex(f.optional("regex")));
    int kinds = (prefix.isPresent() ? 1 : 0) + (path.isPresent() ? 1 : 0) + (regex.isPresent() ? 1 : 0);
    if (kinds != 1) {
      throw node.error("exactly one of prefix, path and regex is required");
    }
    List<HeaderMatch> headers = new ArrayList<>();
    for (YamlNode item : f.list("headers")) {
      headers.add(header(item));
    }
    return new RouteMatch(prefix, path, regex, headers);
  }

  private static HeaderMatch header(YamlNode node) throws ConfigException {
    YamlNode.Fields f = node.mapping(HEADER);
    String name = f.required("name").name().toLowerCase(Locale.ROOT);
    List<HeaderMatch> kinds = new ArrayList<>();
    if (f.optional("exact") != null) {
      kinds.add(new HeaderMatch(name, HeaderMatchKind.EXACT, f.optional("exact").string()));
    }
    if (f.optional("prefix") != null) {
      kinds.add(new HeaderMatch(name, HeaderMatchKind.PREFIX, f.optional("prefix").name()));
    }
    if (f.optional("regex") != null) {
      kinds.add(new HeaderMatch(name, HeaderMatchKind.REGEX, regex(f.optional("regex"))));
    }
    if (f.optional("present") != null) {
      if (!f.optional("present").bool()) {
        throw f.optional("present").error("only 'present: true' is supported");
      }
      kinds.add(new HeaderMatch(name, HeaderMatchKind.PRESENT, ""));
    }
    if (kinds.size() != 1) {
      throw node.error("exactly one of exact, prefix, regex and present is required");
    }
    return kinds.get(0);
  }

  /** Envoy matches with RE2, so the regex is checked by RE2's rules (no backreferences, lookaround). */
  private static String regex(YamlNode node) throws ConfigException {
    String pattern = node.name();
    try {
      com.google.re2j.Pattern.compile(pattern);
    } catch (PatternSyntaxException e) {
      throw node.error("invalid RE2 regex '" + pattern + "': " + e.getDescription());
    }
    return pattern;
  }

  private static Optional<String> optionalPath(YamlNode node) throws ConfigException {
    if (node == null) {
      return Optional.empty();
    }
    String path = node.name();
    if (!path.startsWith("/")) {
      throw node.error("must start with /");
    }
    return Optional.of(path);
  }
}
