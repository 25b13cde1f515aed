package io.edgecache.extproc.config;

import io.edgecache.extproc.fields.HeaderList;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Whether a request's cookies make a route bypass the cache. Sites that personalise on a
 * session cookie bypass when one is present; analytics cookies ({@code _ga}) can be named
 * as ignored so they do not defeat caching.
 *
 * @param bypassWhenPresent bypass the cache when the request carries a cookie not ignored
 * @param ignored cookie names that never cause a bypass
 */
public record CookiePolicy(boolean bypassWhenPresent, Set<String> ignored) {

  public static final CookiePolicy IGNORE_COOKIES = new CookiePolicy(false, Set.of());

  /** Compiled once: String.split compiles a two-character class on every call. */
  private static final Pattern PAIR_SEPARATOR = Pattern.compile("[;,]");

  public CookiePolicy {
    ignored = Set.copyOf(ignored);
  }

  /** Whether {@code requestHeaders} carry a cookie that makes this route bypass the cache. */
  public boolean bypasses(HeaderList requestHeaders) {
    return bypassWhenPresent && hasPersonalCookie(requestHeaders);
  }

  /**
   * Whether {@code requestHeaders} carry a cookie not named as ignored. Pairs are split on
   * {@code ,} as well as {@code ;}: browsers join with {@code "; "}, but origins that read the
   * RFC 2965 form (Rack 2, Tomcat's legacy processor) see {@code _ga=1, session=alice} as two
   * cookies, and a session hidden behind an ignored name must not be taken for analytics.
   */
  public boolean hasPersonalCookie(HeaderList requestHeaders) {
    for (String header : requestHeaders.all("cookie")) {
      for (String pair : PAIR_SEPARATOR.split(header)) {
        String trimmed = pair.trim();
        if (trimmed.isEmpty()) {
          continue;
        }
        int eq = trimmed.indexOf('=');
        String name = eq < 0 ? trimmed : trimmed.substring(0, eq).trim();
        if (!ignored.contains(name)) {
          return true;
        }
      }
    }
    return false;
  }
}
