package io.edgecache.extproc.fields;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * An Accept-Language value (RFC 9110 §12.5.4): language ranges (RFC 4647 §2.1) with their
 * qvalues, lower-cased (tags are case-insensitive), refused ones (q=0) left out, ordered by
 * preference and then by name, since order among equal qvalues carries no meaning.
 */
public record LanguageRanges(List<Range> ranges) {

  /** A language range and its qvalue in thousandths (RFC 9110 §12.4.2). */
  public record Range(String range, int q) {}

  // Compiled once: Vary matching parses Accept-Language on the hit path.
  private static final Pattern BELOW_ONE = Pattern.compile("0(\\.\\d{0,3})?");
  private static final Pattern ONE = Pattern.compile("1(\\.0{0,3})?");

  private static final Comparator<Range> BY_PREFERENCE =
      Comparator.comparingInt((Range r) -> -r.q()).thenComparing(Range::range);

  /** The ranges of a (joined) Accept-Language value; null when a member does not parse. */
  public static LanguageRanges parse(String value) {
    List<Range> ranges = new ArrayList<>();
    for (String member : value.split(",")) {
      String[] parts = member.split(";");
      String range = parts[0].trim().toLowerCase(Locale.ROOT);
      if (range.isEmpty() && parts.length == 1) {
        continue; // empty list members are allowed (RFC 9110 §5.6.1)
      }
      if (!isRange(range) || parts.length > 2) {
        return null;
      }
      int q = parts.length == 2 ? qvalue(parts[1].trim().toLowerCase(Locale.ROOT)) : 1000;
      if (q < 0) {
        return null;
      }
      if (q > 0) {
        ranges.add(new Range(range, q));
      }
    }
    ranges.sort(BY_PREFERENCE);
    return new LanguageRanges(List.copyOf(ranges));
  }

  /** The canonical text: {@code en-us,fr;q=0.5}. */
  public String normalised() {
    StringBuilder text = new StringBuilder();
    for (Range r : ranges) {
      if (text.length() > 0) {
        text.append(',');
      }
      text.append(r.range());
      if (r.q() < 1000) {
        String thousandths = Integer.toString(1000 + r.q()).substring(1); // zero-padded
        int end = thousandths.length();
        while (thousandths.charAt(end - 1) == '0') {
          end--; // q > 0, so a non-zero digit stops it
        }
        text.append(";q=0.").append(thousandths, 0, end);
      }
    }
    return text.toString();
  }

  /** The highest qvalue among the ranges that name a language (not {@code *}); 0 if none. */
  public int topQ() {
    for (Range r : ranges) {
      if (!r.range().equals("*")) {
        return r.q();
      }
    }
    return 0;
  }

  /**
   * How much the request accepts a language {@code tag}: the larger of the qvalue of the most
   * specific range that matches it by basic filtering (RFC 4647 §3.3.1) and that of the best
   * range that lookup truncates to it (§3.4: {@code en-us} falls back to {@code en}); 0 when
   * none does. {@code *} is not counted: it says nothing about preference.
   */
  public int qFor(String tag) {
    String t = tag.trim().toLowerCase(Locale.ROOT);
    int bestLength = -1;
    int filtered = 0;
    int truncated = 0;
    for (Range r : ranges) {
      String range = r.range();
      if (range.equals("*")) {
        continue;
      }
      if ((t.equals(range) || t.startsWith(range + "-")) && range.length() > bestLength) {
        bestLength = range.length();
        filtered = r.q();
      } else if (range.startsWith(t + "-")) {
        truncated = Math.max(truncated, r.q());
      }
    }
    return Math.max(filtered, truncated);
  }

  private static boolean isRange(String range) {
    if (range.equals("*")) {
      return true;
    }
    // 1*8ALPHA *("-" 1*8alphanum)
    String[] subtags = range.split("-", -1);
    for (int i = 0; i < subtags.length; i++) {
      boolean digitsAllowed = i > 0;
      if (subtags[i].isEmpty() || subtags[i].length() > 8 || !subtags[i].chars().allMatch(
          c -> (c >= 'a' && c <= 'z') || (digitsAllowed && c >= '0' && c <= '9'))) {
        return false;
      }
    }
    return true;
  }

  /** A qvalue parameter in thousandths; -1 when it is not {@code q=} with a valid qvalue. */
  private static int qvalue(String parameter) {
    String p = parameter.replace(" ", "");
    if (!p.startsWith("q=")) {
      return -1;
    }
    String v = p.substring(2);
    if (BELOW_ONE.matcher(v).matches()) {
      String fraction = v.length() > 2 ? v.substring(2) : "";
      return fraction.isEmpty() ? 0 : Integer.parseInt((fraction + "00").substring(0, 3));
    }
    return ONE.matcher(v).matches() ? 1000 : -1;
  }
}
