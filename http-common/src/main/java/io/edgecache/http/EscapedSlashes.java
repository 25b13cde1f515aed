package io.edgecache.http;

import java.util.Locale;

/**
 * What a request path's encoded slashes ({@code %2F}) and backslashes ({@code %5C}, or a raw
 * {@code \}) do. Origins disagree on whether {@code /a%2F..%2Fb} is one segment or three, so a
 * cache that keys and routes on one reading while the origin uses the other can be made to
 * store one page under another page's name. Mirrors Envoy's HttpConnectionManager
 * {@code path_with_escaped_slashes_action}.
 */
public enum EscapedSlashes {
  /** Answer 400 (Envoy {@code REJECT_REQUEST}); the default. */
  REJECT("REJECT_REQUEST"),
  /** Decode them to {@code /} before routing and keying (Envoy {@code UNESCAPE_AND_FORWARD}). */
  UNESCAPE("UNESCAPE_AND_FORWARD"),
  /** Leave them as sent (Envoy {@code KEEP_UNCHANGED}): only for origins that agree. */
  KEEP("KEEP_UNCHANGED");

  private final String envoyAction;

  EscapedSlashes(String envoyAction) {
    this.envoyAction = envoyAction;
  }

  /** The name of the matching {@code PathWithEscapedSlashesAction} value. */
  public String envoyAction() {
    return envoyAction;
  }

  /** The configuration spelling: reject, unescape or keep. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The action named {@code configName} (reject, unescape, keep), or null. */
  public static EscapedSlashes fromConfig(String configName) {
    for (EscapedSlashes action : values()) {
      if (action.configName().equals(configName)) {
        return action;
      }
    }
    return null;
  }
}
