package io.edgecache.edge.extproc;

import io.edgecache.edge.http.MessageHead;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption.HeaderAppendAction;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.logging.Logger;

/**
 * Applies an ext_proc {@link HeaderMutation} to a {@link MessageHead} under Envoy's default
 * header mutation rules (the filter has no {@code mutation_rules}, which local-edge rejects):
 * {@code host}, {@code :authority}, {@code :scheme}, {@code :method} and {@code x-envoy-*}
 * cannot be changed and such attempts are ignored; {@code :path} (requests) and
 * {@code :status} (responses) can.
 */
public final class HeaderMutator {
  private static final Logger log = Logger.getLogger(HeaderMutator.class.getName());

  private HeaderMutator() {}

  /** Applies {@code mutation}; throws for changes Envoy would reject as an error. */
  public static void apply(HeaderMutation mutation, MessageHead head, boolean request)
      throws ProtocolException {
    for (String name : mutation.getRemoveHeadersList()) {
      String key = name.toLowerCase(Locale.ROOT);
      if (key.startsWith(":") || key.equals("host") || key.startsWith("x-envoy")) {
        log.fine(() -> "ignoring removal of protected header " + key);
        continue;
      }
      head.headers().remove(key);
    }
    for (HeaderValueOption option : mutation.getSetHeadersList()) {
      set(option, head, request);
    }
  }

  private static void set(HeaderValueOption option, MessageHead head, boolean request)
      throws ProtocolException {
    HeaderValue header = option.getHeader();
    String key = header.getKey().toLowerCase(Locale.ROOT);
    String value = header.getRawValue().isEmpty()
        ? header.getValue()
        : header.getRawValue().toString(StandardCharsets.ISO_8859_1);
    if (key.isEmpty() || value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0 || value.indexOf('\0') >= 0) {
      throw new ProtocolException("invalid header mutation for '" + key + "'");
    }
    if (key.equals("host") || key.equals(MessageHead.AUTHORITY) || key.equals(MessageHead.SCHEME)
        || key.equals(MessageHead.METHOD) || key.startsWith("x-envoy")) {
      log.fine(() -> "ignoring mutation of protected header " + key);
      return;
    }
    if (key.startsWith(":")) {
      setPseudo(key, value, head, request);
      return;
    }
    switch (appendAction(option)) {
      case APPEND_IF_EXISTS_OR_ADD -> head.headers().add(key, value);
      case ADD_IF_ABSENT -> {
        if (!head.headers().contains(key)) {
          head.headers().add(key, value);
        }
      }
      case OVERWRITE_IF_EXISTS_OR_ADD -> head.headers().set(key, value);
      case OVERWRITE_IF_EXISTS -> {
        if (head.headers().contains(key)) {
          head.headers().set(key, value);
        }
      }
      default -> throw new ProtocolException("unknown append_action for '" + key + "'");
    }
  }

  /** The deprecated {@code append} BoolValue wins when present, as in Envoy. */
  private static HeaderAppendAction appendAction(HeaderValueOption option) {
    if (option.hasAppend()) {
      return option.getAppend().getValue()
          ? HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD
          : HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD;
    }
    return option.getAppendAction();
  }

  private static void setPseudo(String key, String value, MessageHead head, boolean request)
      throws ProtocolException {
    if (request && key.equals(MessageHead.PATH)) {
      if (!value.startsWith("/")) {
        throw new ProtocolException("invalid :path mutation '" + value + "'");
      }
      head.setPseudo(key, value);
    } else if (!request && key.equals(MessageHead.STATUS)) {
      head.setPseudo(key, Integer.toString(parseStatus(value)));
    } else {
      throw new ProtocolException("mutation of " + key + " is not allowed in a "
          + (request ? "request" : "response"));
    }
  }

  /** A valid final status code, as Envoy requires for a {@code :status} mutation. */
  private static int parseStatus(String value) throws ProtocolException {
    try {
      int status = Integer.parseInt(value.trim());
      if (status >= 200 && status <= 599) {
        return status;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ProtocolException("invalid :status mutation '" + value + "'");
  }
}
