package io.edgecache.edge.extproc;

import io.edgecache.edge.http.HeaderLimits;
import io.edgecache.edge.http.MessageHead;
import io.edgecache.http.HeaderValidity;
import io.edgecache.security.LogText;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Applies an ext_proc {@link HeaderMutation} to a {@link MessageHead} as Envoy's
 * {@code MutationUtils::applyHeaderMutations} does under the default header mutation rules (the
 * filter has no {@code mutation_rules}, which local-edge rejects):
 *
 * <ul>
 *   <li>a line is applied by its deprecated {@code append} field, default false (overwrite);
 *       {@code append_action} is ignored;
 *   <li>only {@code raw_value} is read; a line with both {@code value} and {@code raw_value}, an
 *       invalid name or value, an invalid name to remove, more than {@code max_headers_count}
 *       lines, or a result over the header count or size limits is an error
 *       ({@link MutationRejected});
 *   <li>what the rules disallow is ignored ({@code MutationRules::Checker}): changing or
 *       removing {@code host}, {@code :authority}, {@code :scheme}, {@code :method} or
 *       {@code x-envoy-*}, removing any pseudo-header, appending to an existing pseudo-header, and
 *       a {@code :status} that is not a number of at least 200;
 *   <li>with {@code skipContentLength} (the body mode makes Envoy drop Content-Length,
 *       {@code ProcessorState::shouldRemoveContentLength}) a Content-Length line is skipped.
 * </ul>
 */
public final class HeaderMutator {
  private static final Logger log = Logger.getLogger(HeaderMutator.class.getName());

  /** {@code Checker}'s routing headers: never changed under the default rules. */
  private static final Set<String> ROUTING = Set.of("host", MessageHead.AUTHORITY, MessageHead.METHOD,
      MessageHead.SCHEME);

  private HeaderMutator() {}

  /**
   * Applies {@code mutation}. Throws {@link MutationRejected} where Envoy fails the mutation,
   * after applying the lines before the failing one as Envoy does, and {@link ProtocolException}
   * for a change local-edge cannot reproduce.
   */
  public static void apply(HeaderMutation mutation, MessageHead head, boolean request, boolean replacingMessage,
      boolean skipContentLength) throws ProtocolException {
    if (mutation.getRemoveHeadersCount() > HeaderLimits.MAX_HEADERS_COUNT
        || mutation.getSetHeadersCount() > HeaderLimits.MAX_HEADERS_COUNT) {
      throw new MutationRejected("Header mutation remove header count " + mutation.getRemoveHeadersCount()
          + " or set header count " + mutation.getSetHeadersCount() + " exceed the HCM header count limit");
    }
    for (String name : mutation.getRemoveHeadersList()) {
      if (!HeaderValidity.nameIsValid(name)) {
        throw new MutationRejected("Invalid character in remove_headers mutation.");
      }
      String key = name.toLowerCase(Locale.ROOT);
      if (key.startsWith(":") || disallowed(key)) {
        log.fine(() -> "header " + LogText.quote(key) + " may not be removed per rules");
        continue;
      }
      head.headers().remove(key);
    }
    for (HeaderValueOption option : mutation.getSetHeadersList()) {
      if (option.hasHeader()) {
        set(option, head, request, replacingMessage, skipContentLength);
      }
    }
    if (head.size() > HeaderLimits.MAX_HEADERS_COUNT
        || head.byteSize() > HeaderLimits.MAX_HEADERS_BYTES) {
      throw new MutationRejected("Header mutation causes end result header count " + head.size()
          + " or header size " + head.byteSize() + " bytes, exceeding the count limit or the size limit");
    }
  }

  private static void set(HeaderValueOption option, MessageHead head, boolean request, boolean replacingMessage,
      boolean skipContentLength) throws ProtocolException {
    String name = option.getHeader().getKey();
    if (skipContentLength && name.equalsIgnoreCase("content-length")) {
      return;
    }
    if (!option.getHeader().getValue().isEmpty() && !option.getHeader().getRawValue().isEmpty()) {
      throw new MutationRejected("Only one of value or raw_value in the HeaderValue message should be set.");
    }
    // Envoy >= 1.31 reads raw_value only: a value-only line sets an empty header.
    String value = option.getHeader().getRawValue().toString(StandardCharsets.ISO_8859_1);
    if (!HeaderValidity.nameIsValid(name) || !HeaderValidity.valueIsValid(value)) {
      throw new MutationRejected("Invalid character in set_headers mutation.");
    }
    String key = name.toLowerCase(Locale.ROOT);
    boolean append = option.hasAppend() && option.getAppend().getValue();
    boolean appendsToExisting = append && present(head, key);
    boolean methodReplaced = replacingMessage && key.equals(MessageHead.METHOD);
    if (!methodReplaced && (disallowed(key) || (key.startsWith(":") && appendsToExisting)
        || (key.equals(MessageHead.STATUS) && !statusIsValid(value)))) {
      log.fine(() -> "header " + LogText.quote(key) + " may not be modified per rules");
      return;
    }
    if (key.startsWith(":")) {
      setPseudo(key, value, head, request);
    } else if (append) {
      head.headers().add(key, value);
    } else {
      head.headers().set(key, value);
    }
  }

  /** Pseudo-headers local-edge can carry on: {@code :path} of a request, {@code :status} of a response. */
  private static void setPseudo(String key, String value, MessageHead head, boolean request)
      throws ProtocolException {
    boolean carried = request ? key.equals(MessageHead.PATH) || key.equals(MessageHead.METHOD)
        : key.equals(MessageHead.STATUS);
    if (!carried || (key.equals(MessageHead.STATUS) && value.length() > 3)) {
      throw new ProtocolException("setting " + key + " to '" + value + "' in a " + (request ? "request" : "response")
          + " is not reproduced by local-edge");
    }
    head.setPseudo(key, value);
  }

  private static boolean present(MessageHead head, String key) {
    return key.startsWith(":") ? head.pseudo(key) != null : head.headers().contains(key);
  }

  private static boolean disallowed(String key) {
    return ROUTING.contains(key) || key.startsWith("x-envoy");
  }

  /** {@code Checker::isValidValue} for {@code :status}: a number, at least 200. */
  private static boolean statusIsValid(String value) {
    if (value.isEmpty() || value.length() > 9 || !value.chars().allMatch(Character::isDigit)) {
      return false;
    }
    return Integer.parseInt(value) >= 200;
  }
}
