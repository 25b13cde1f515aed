package io.edgecache.extproc.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * How a route's query string enters the cache key: kept as sent, ignored, or normalised by
 * sorting its parameters, optionally keeping only an allow-list or dropping a deny-list (for
 * tracking parameters such as {@code utm_source} that do not change the response).
 *
 * @param mode what to do with the query
 * @param allow when non-empty, the only parameters that stay in the key
 * @param deny parameters that never enter the key
 */
public record QueryKeyPolicy(Mode mode, Set<String> allow, Set<String> deny) {

  /** What a route does with the query string. */
  public enum Mode {
    /** The query as the client sent it: byte for byte, the RFC 9111 default. */
    KEEP,
    /** No query in the key at all. */
    IGNORE,
    /** Parameters sorted by name (stable for equal names), then filtered. */
    SORT
  }

  public static final QueryKeyPolicy KEEP = new QueryKeyPolicy(Mode.KEEP, Set.of(), Set.of());

  public QueryKeyPolicy {
    allow = Set.copyOf(allow);
    deny = Set.copyOf(deny);
  }

  /** The query to key on ("" for none), from the raw query without its leading '?'. */
  public String normalise(String rawQuery) {
    if (rawQuery == null || rawQuery.isEmpty() || mode == Mode.IGNORE) {
      return "";
    }
    if (mode == Mode.KEEP && allow.isEmpty() && deny.isEmpty()) {
      return rawQuery;
    }
    List<String> kept = keptParameters(rawQuery);
    if (mode == Mode.SORT) {
      kept.sort((a, b) -> nameOf(a).compareTo(nameOf(b)));
    }
    return String.join("&", kept);
  }

  /**
   * The query the origin is sent when excluded parameters are not forwarded: the parameters
   * the key keeps, in the client's order ("" for none).
   */
  public String forwarded(String rawQuery) {
    if (rawQuery == null || rawQuery.isEmpty() || mode == Mode.IGNORE) {
      return "";
    }
    if (allow.isEmpty() && deny.isEmpty()) {
      return rawQuery;
    }
    List<String> kept = keptParameters(rawQuery);
    return String.join("&", kept);
  }

  /** The parameters the allow and deny lists keep, in the client's order. */
  private List<String> keptParameters(String rawQuery) {
    List<String> kept = new ArrayList<>();
    for (String parameter : rawQuery.split("&")) {
      String name = nameOf(parameter);
      if (!parameter.isEmpty() && (allow.isEmpty() || allow.contains(name))
          && !deny.contains(name)) {
        kept.add(parameter);
      }
    }
    return kept;
  }

  private static String nameOf(String parameter) {
    int eq = parameter.indexOf('=');
    return eq < 0 ? parameter : parameter.substring(0, eq);
  }
}
