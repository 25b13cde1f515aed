package io.edgecache.extproc.fields;

import java.util.LinkedHashMap;
import java.util.Map;
import org.greenbytes.http.sfv.BooleanItem;
import org.greenbytes.http.sfv.Dictionary;
import org.greenbytes.http.sfv.IntegerItem;
import org.greenbytes.http.sfv.ListElement;
import org.greenbytes.http.sfv.ParseException;
import org.greenbytes.http.sfv.Parser;
import org.greenbytes.http.sfv.StringItem;
import org.greenbytes.http.sfv.TokenItem;

/**
 * A targeted cache-control field (RFC 9213 §2.1: CDN-Cache-Control and edgecache's own), which
 * is an RFC 8941 Dictionary, not Cache-Control's lenient list. A value that does not parse as
 * a Dictionary, or an empty one, is ignored as a whole (§2.2), so the next field (in the end
 * Cache-Control) applies.
 */
public final class TargetedCacheControl {

  private TargetedCacheControl() {}

  /**
   * The directives of a (possibly joined) targeted field value, or null when it is absent,
   * empty or not a valid Dictionary. Parameters are ignored (§2.1). A directive set to
   * {@code ?0} is absent; integers, strings and tokens become the argument; any other value
   * type is kept as its serialisation, which no delta-seconds directive accepts.
   */
  public static CacheControl parse(String fieldValue) {
    if (fieldValue == null || fieldValue.isBlank()) {
      return null;
    }
    Dictionary dictionary;
    try {
      dictionary = Parser.parseDictionary(fieldValue);
    } catch (ParseException notADictionary) {
      return null;
    }
    Map<String, String> directives = new LinkedHashMap<>();
    for (Map.Entry<String, ListElement<? extends Object>> member : dictionary.get().entrySet()) {
      String argument = argument(member.getValue());
      if (argument != null) {
        directives.put(member.getKey(), argument);
      }
    }
    return CacheControl.of(directives);
  }

  private static String argument(ListElement<? extends Object> value) {
    if (value instanceof BooleanItem bool) {
      return bool.get() ? "" : null;
    }
    if (value instanceof IntegerItem integer) {
      return Long.toString(integer.getAsLong()); // a negative one fails delta-seconds
    }
    if (value instanceof StringItem string) {
      return string.get();
    }
    if (value instanceof TokenItem token) {
      return token.get();
    }
    return value.serialize();
  }
}
