package io.edgecache.controlplane.config;

import static io.edgecache.controlplane.config.EdgecacheConfig.CachePolicy.DEFAULT;
import static io.edgecache.controlplane.config.SectionValues.boolOr;
import static java.util.stream.Collectors.joining;

import io.edgecache.config.ConfigException;
import io.edgecache.config.YamlNode;
import io.edgecache.controlplane.config.EdgecacheConfig.CacheMode;
import io.edgecache.controlplane.config.EdgecacheConfig.CachePolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads a route's {@code cache}; every field left out takes its value from
 * {@link CachePolicy#DEFAULT}, the policy of a route without {@code cache}.
 */
final class CachePolicyReader {
  private static final Set<String> FIELDS = Set.of("mode", "defaultTtl", "maxTtl", "shareResponsesWithSetCookie",
      "cacheEverythingWithCredentials", "storeResponsesToCookieRequests", "stripHeaders", "forwardExcludedQuery",
      "storeSetCookie");

  private CachePolicyReader() {}

  /** {@code node} null (no {@code cache} field) is the default policy. */
  static CachePolicy read(YamlNode node) throws ConfigException {
    if (node == null) {
      return DEFAULT;
    }
    YamlNode.Fields f = node.mapping(FIELDS);
    CacheMode mode = f.optional("mode") == null ? DEFAULT.mode() : mode(f.optional("mode"));
    Optional<Duration> defaultTtl = ttl(f.optional("defaultTtl"), DEFAULT.defaultTtl());
    Optional<Duration> maxTtl = ttl(f.optional("maxTtl"), DEFAULT.maxTtl());
    if (defaultTtl.isPresent() && maxTtl.isPresent() && defaultTtl.get().compareTo(maxTtl.get()) > 0) {
      throw f.required("defaultTtl").error("must not exceed maxTtl");
    }
    List<String> stripHeaders = f.optional("stripHeaders") == null ? DEFAULT.stripHeaders()
        : headerNames(f.list("stripHeaders"));
    boolean shareSetCookie = boolOr(f.optional("shareResponsesWithSetCookie"), DEFAULT.shareResponsesWithSetCookie());
    boolean storeSetCookie = boolOr(f.optional("storeSetCookie"), DEFAULT.storeSetCookie());
    if (storeSetCookie && !shareSetCookie) {
      // Without sharing, a response with Set-Cookie is never stored: the flag would do nothing.
      throw f.required("storeSetCookie").error("needs shareResponsesWithSetCookie: true");
    }
    return new CachePolicy(mode, defaultTtl, maxTtl, shareSetCookie,
        boolOr(f.optional("cacheEverythingWithCredentials"), DEFAULT.cacheEverythingWithCredentials()),
        boolOr(f.optional("storeResponsesToCookieRequests"), DEFAULT.storeResponsesToCookieRequests()),
        stripHeaders,
        boolOr(f.optional("forwardExcludedQuery"), DEFAULT.forwardExcludedQuery()),
        storeSetCookie);
  }

  /** Modes are spelled as on the wire to the cache node ({@link CacheMode#text()}). */
  private static CacheMode mode(YamlNode node) throws ConfigException {
    String text = node.string();
    return Stream.of(CacheMode.values()).filter(m -> m.text().equals(text)).findFirst()
        .orElseThrow(() -> node.error("expected one of "
            + Stream.of(CacheMode.values()).map(CacheMode::text).collect(joining(", ")) + ", got '" + text + "'"));
  }

  private static Optional<Duration> ttl(YamlNode node, Optional<Duration> fallback) throws ConfigException {
    return node == null ? fallback : Optional.of(node.positiveDuration());
  }

  /** Header field names, lower-cased. */
  private static List<String> headerNames(List<YamlNode> items) throws ConfigException {
    List<String> names = new ArrayList<>();
    for (YamlNode item : items) {
      names.add(item.headerName());
    }
    return names;
  }
}
