package io.edgecache.http;

/**
 * A request target ({@code :path}) split at its first '?': what route prefixes match and what
 * the key's query policy works on.
 *
 * @param path the part before the first '?', the whole target when it has none
 * @param query the part after the first '?' (possibly empty), or null when there is no '?'
 */
public record PathAndQuery(String path, String query) {

  public static PathAndQuery split(String pathWithQuery) {
    int question = pathWithQuery.indexOf('?');
    return question < 0
        ? new PathAndQuery(pathWithQuery, null)
        : new PathAndQuery(pathWithQuery.substring(0, question), pathWithQuery.substring(question + 1));
  }

  /** The path of {@code pathWithQuery}, without its query. */
  public static String pathOf(String pathWithQuery) {
    int question = pathWithQuery.indexOf('?');
    return question < 0 ? pathWithQuery : pathWithQuery.substring(0, question);
  }

  /** This path with {@code newQuery} instead of the query; no '?' when it is empty. */
  public String withQuery(String newQuery) {
    return newQuery.isEmpty() ? path : path + "?" + newQuery;
  }
}
