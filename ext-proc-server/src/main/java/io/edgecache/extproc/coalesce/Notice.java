package io.edgecache.extproc.coalesce;

import java.util.Locale;

/** What a lease holder announces when it ends its lease, as sent on the fill channel. */
enum Notice {
  FILLED, PASS, ABANDONED,
  /** Not sent: the lease ran out while waiting for a notice. */
  EXPIRED;

  /** The notice as sent: its lower-case name. */
  String word() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The notice a word on the channel names; null for one never sent or not known here. */
  static Notice parse(String word) {
    try {
      Notice notice = valueOf(word.toUpperCase(Locale.ROOT));
      return notice == EXPIRED ? null : notice;
    } catch (IllegalArgumentException e) {
      return null; // a newer node's notice this one does not know
    }
  }
}
